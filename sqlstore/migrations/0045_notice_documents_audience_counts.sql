-- Notices (notice.go, docs/notices.md). A notice's documents (PDF files
-- kept with the photos, by their content's hash): a JSON list of
-- {"ref","name","bytes"}, '' for none.
ALTER TABLE notices ADD COLUMN documents TEXT NOT NULL DEFAULT '';

-- How many people hold a role over an area in each area's subtree
-- (role '*': any role), once each however many grants they hold there:
-- a notice's audience is read from here, not counted from 10⁵ grants.
-- Kept by the identity store in the transaction of each grant and
-- revocation (sqlstore/audience.go); filled by a step in Go after this
-- file; `civicgrid verify` recounts it.
CREATE TABLE area_audience_counts (
    area_code TEXT NOT NULL,
    role      TEXT NOT NULL,
    people    BIGINT NOT NULL,
    PRIMARY KEY (area_code, role)
);

-- Text messages are costed: how many billed messages (segments) each one
-- sent took; the notices module asks the total of an urgent notice's and
-- its reminders' messages by their source (notifications_source serves it).
ALTER TABLE notifications ADD COLUMN sms_segments INTEGER NOT NULL DEFAULT 0;
