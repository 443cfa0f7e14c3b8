-- Volunteer service (volunteer.go): requests for help at a building, taken
-- by one volunteer at most (a conditional update of status), with the
-- service record (sign-in, sign-out, minutes, confirmation) on the request
-- and one hash-chained history per request.
CREATE TABLE volunteer_requests (
    id           @ID_PK@,
    service      TEXT NOT NULL,
    building     TEXT NOT NULL,
    address      TEXT NOT NULL DEFAULT '',
    beneficiary  TEXT NOT NULL DEFAULT '',
    contact      TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    urgency      TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    window_end   BIGINT NOT NULL,
    status       TEXT NOT NULL,
    poster_id    BIGINT NOT NULL REFERENCES users (id),
    poster       TEXT NOT NULL,
    on_behalf    BOOLEAN NOT NULL DEFAULT FALSE,
    volunteer_id BIGINT REFERENCES users (id),
    volunteer    TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL DEFAULT '',
    sign_in_at   BIGINT,
    sign_out_at  BIGINT,
    minutes      INTEGER NOT NULL DEFAULT 0,
    rating       INTEGER NOT NULL DEFAULT 0,
    comment      TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX volunteer_requests_open ON volunteer_requests (status, building);
CREATE INDEX volunteer_requests_volunteer ON volunteer_requests (volunteer_id, status);
CREATE INDEX volunteer_requests_poster ON volunteer_requests (poster_id, id);

CREATE TABLE volunteer_events (
    id         @ID_PK@,
    request_id BIGINT NOT NULL REFERENCES volunteer_requests (id),
    seq        INTEGER NOT NULL,
    at         BIGINT NOT NULL,
    actor_id   BIGINT,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL DEFAULT '',
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    UNIQUE (request_id, seq)
);

-- One row per volunteer who ever claimed: a claim locks it first, so two
-- claims by the same volunteer are counted against the limit of open
-- claims one after the other (PostgreSQL; SQLite writes one at a time).
CREATE TABLE volunteer_claimers (
    user_id BIGINT PRIMARY KEY REFERENCES users (id)
);
