-- Study and lecture events (lecture.go): a lecture in a scope with its
-- seats counted on the row (a conditional update gives a seat at most
-- capacity times), and one sign-up per person and lecture that is not
-- cancelled (a person who cancels may sign up again).
CREATE TABLE lectures (
    id            @ID_PK@,
    title         TEXT NOT NULL,
    speakers      TEXT NOT NULL DEFAULT '',
    area_code     TEXT NOT NULL,
    place         TEXT NOT NULL DEFAULT '',
    building      TEXT NOT NULL DEFAULT '',
    online_url    TEXT NOT NULL DEFAULT '',
    starts_at     BIGINT NOT NULL,
    ends_at       BIGINT NOT NULL,
    capacity      INTEGER NOT NULL,
    seats_taken   INTEGER NOT NULL DEFAULT 0,
    audience      TEXT NOT NULL,
    status        TEXT NOT NULL,
    check_in_code TEXT NOT NULL UNIQUE,
    created_by    BIGINT NOT NULL REFERENCES users (id),
    created_at    BIGINT NOT NULL,
    CHECK (seats_taken >= 0 AND seats_taken <= capacity)
);
CREATE INDEX lectures_area_start ON lectures (area_code, starts_at);
CREATE INDEX lectures_start ON lectures (starts_at);

CREATE TABLE lecture_signups (
    id             @ID_PK@,
    lecture_id     BIGINT NOT NULL REFERENCES lectures (id),
    user_id        BIGINT NOT NULL REFERENCES users (id),
    name           TEXT NOT NULL,
    state          TEXT NOT NULL,
    ticket         TEXT NOT NULL UNIQUE,
    created_at     BIGINT NOT NULL,
    checked_in_at  BIGINT,
    checked_in_by  TEXT NOT NULL DEFAULT '',
    rating         INTEGER NOT NULL DEFAULT 0,
    feedback       TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX lecture_signups_person ON lecture_signups (lecture_id, user_id) WHERE state <> 'cancelled';
CREATE INDEX lecture_signups_waiting ON lecture_signups (lecture_id, state, id);
CREATE INDEX lecture_signups_user ON lecture_signups (user_id, id);

-- What people are told: moved up from the waiting list, the lecture
-- cancelled. The notification sender walks it by id.
CREATE TABLE lecture_events (
    id         @ID_PK@,
    lecture_id BIGINT NOT NULL REFERENCES lectures (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    at         BIGINT NOT NULL
);
