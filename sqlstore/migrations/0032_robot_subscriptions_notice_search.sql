-- Group robots hear of more than notices, if the group chose it (docs/
-- notices.md): new cases in its area, overdue cases and requests for help
-- opened to volunteers. A delivery now posts a notice or such an item (its
-- message fields, no personal data, kept as JSON in payload); the logs of
-- cases and requests are walked by a cursor per log.
ALTER TABLE notice_robots ADD COLUMN new_cases BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE notice_robots ADD COLUMN overdue_cases BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE notice_robots ADD COLUMN volunteer_requests BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE notice_robot_cursors (
    source TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL
);
-- Notices are searchable: a notice is found by its audience (the roles it
-- counts, civicgrid.AudienceTag) over an area overlapping its scope.
ALTER TABLE search_docs ADD COLUMN audience TEXT NOT NULL DEFAULT '';
-- Lectures remind their seated attendees the day before, once.
ALTER TABLE lectures ADD COLUMN reminded_at BIGINT;
-- dialect: sqlite
CREATE TABLE notice_robot_deliveries_new (
    id         @ID_PK@,
    robot_id   BIGINT NOT NULL REFERENCES notice_robots (id),
    notice_id  BIGINT REFERENCES notices (id),
    state      TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    kind       TEXT NOT NULL DEFAULT 'notice',
    ref_id     BIGINT NOT NULL DEFAULT 0,
    payload    TEXT NOT NULL DEFAULT ''
);
INSERT INTO notice_robot_deliveries_new (id, robot_id, notice_id, state, attempts, next_at, last_error, updated_at, kind, ref_id)
    SELECT id, robot_id, notice_id, state, attempts, next_at, last_error, updated_at, 'notice', notice_id FROM notice_robot_deliveries;
DROP TABLE notice_robot_deliveries;
ALTER TABLE notice_robot_deliveries_new RENAME TO notice_robot_deliveries;
CREATE INDEX notice_robot_deliveries_due ON notice_robot_deliveries (state, next_at);
CREATE UNIQUE INDEX notice_robot_deliveries_item ON notice_robot_deliveries (robot_id, kind, ref_id);
CREATE INDEX notice_robot_deliveries_robot ON notice_robot_deliveries (robot_id, id);
-- dialect: postgres
ALTER TABLE notice_robot_deliveries ALTER COLUMN notice_id DROP NOT NULL;
ALTER TABLE notice_robot_deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT 'notice';
ALTER TABLE notice_robot_deliveries ADD COLUMN ref_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notice_robot_deliveries ADD COLUMN payload TEXT NOT NULL DEFAULT '';
UPDATE notice_robot_deliveries SET ref_id = notice_id;
ALTER TABLE notice_robot_deliveries DROP CONSTRAINT notice_robot_deliveries_robot_id_notice_id_key;
CREATE UNIQUE INDEX notice_robot_deliveries_item ON notice_robot_deliveries (robot_id, kind, ref_id);
CREATE INDEX notice_robot_deliveries_robot ON notice_robot_deliveries (robot_id, id);
