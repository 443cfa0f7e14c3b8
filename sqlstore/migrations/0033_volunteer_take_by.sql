-- Untaken requests escalate (volunteer.go): a request open to volunteers
-- (accepted, or reopened by a release) carries when it opened and by when
-- it should be taken; the deadline scheduler marks it untaken once past
-- take_by (an event of its history; staff are notified from that event).
-- Requests open before this migration have no take_by and never escalate.
ALTER TABLE volunteer_requests ADD COLUMN opened_at BIGINT;
ALTER TABLE volunteer_requests ADD COLUMN take_by BIGINT;
ALTER TABLE volunteer_requests ADD COLUMN untaken_at BIGINT;
CREATE INDEX volunteer_requests_take_by ON volunteer_requests (take_by) WHERE take_by IS NOT NULL AND untaken_at IS NULL;
