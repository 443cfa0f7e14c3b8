-- Notices (notice.go): one row per notice whatever its audience; a receipt
-- is written when someone reads or confirms, so unread counts are the
-- audience's size (from role grants) minus the receipts. Group robots of
-- an area and one delivery row per notice and robot.
CREATE TABLE notices (
    id           @ID_PK@,
    scope        TEXT NOT NULL,
    audience     TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    priority     TEXT NOT NULL,
    pinned       BOOLEAN NOT NULL DEFAULT FALSE,
    need_confirm BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at   BIGINT,
    author_id    BIGINT REFERENCES users (id),
    author       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    reminded_at  BIGINT,
    withdrawn    BOOLEAN NOT NULL DEFAULT FALSE,
    attachments  TEXT NOT NULL DEFAULT '' -- photo refs, comma-separated
);
CREATE INDEX notices_scope ON notices (scope, id);

CREATE TABLE notice_receipts (
    notice_id    BIGINT NOT NULL REFERENCES notices (id),
    user_id      BIGINT NOT NULL REFERENCES users (id),
    read_at      BIGINT NOT NULL,
    confirmed_at BIGINT,
    PRIMARY KEY (notice_id, user_id)
);
CREATE INDEX notice_receipts_user ON notice_receipts (user_id, notice_id);

-- A notice's audience is counted, and its follow-up list read in pages,
-- from the role grants of an area subtree: a range of codes, then role and
-- person, in the order of this index.
CREATE INDEX role_grants_area_role_user ON role_grants (area_code, role, user_id);

CREATE TABLE notice_robots (
    id            @ID_PK@,
    area_code     TEXT NOT NULL,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    url           TEXT NOT NULL,
    markdown      BOOLEAN NOT NULL DEFAULT FALSE,
    sealed_secret TEXT NOT NULL DEFAULT '',
    created_by    BIGINT REFERENCES users (id),
    created_at    BIGINT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX notice_robots_area ON notice_robots (area_code);

CREATE TABLE notice_robot_deliveries (
    id         @ID_PK@,
    robot_id   BIGINT NOT NULL REFERENCES notice_robots (id),
    notice_id  BIGINT NOT NULL REFERENCES notices (id),
    state      TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    UNIQUE (robot_id, notice_id)
);
CREATE INDEX notice_robot_deliveries_due ON notice_robot_deliveries (state, next_at);

-- What tells people beyond the app: an urgent notice posted, the unread
-- re-reminded. The notification sender walks it by a cursor.
CREATE TABLE notice_events (
    id        @ID_PK@,
    notice_id BIGINT NOT NULL REFERENCES notices (id),
    kind      TEXT NOT NULL,
    at        BIGINT NOT NULL
);
