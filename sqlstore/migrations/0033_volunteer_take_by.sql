-- Untaken requests escalate (volunteer.go): a request open to volunteers
-- (accepted, or reopened by a release) carries when it opened and by when
-- it should be taken; the deadline scheduler marks it untaken once past
-- take_by (an event of its history; staff are notified from that event).
-- Requests open before this migration have no take_by and never escalate.
ALTER TABLE volunteer_requests ADD COLUMN opened_at BIGINT;
ALTER TABLE volunteer_requests ADD COLUMN take_by BIGINT;
ALTER TABLE volunteer_requests ADD COLUMN untaken_at BIGINT;
CREATE INDEX volunteer_requests_take_by ON volunteer_requests (take_by) WHERE take_by IS NOT NULL AND untaken_at IS NULL;

-- Staff invite an approved volunteer to an open request (volunteer.go):
-- the volunteer accepts (which claims the request, in the claim's
-- transaction) or declines; nobody is assigned by force (志愿服务条例
-- art. 25). One open invitation per request and volunteer.
CREATE TABLE volunteer_invitations (
    id            @ID_PK@,
    request_id    BIGINT NOT NULL REFERENCES volunteer_requests (id),
    volunteer_id  BIGINT NOT NULL REFERENCES users (id),
    volunteer     TEXT NOT NULL,
    invited_by_id BIGINT NOT NULL REFERENCES users (id),
    invited_by    TEXT NOT NULL,
    status        TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    decided_at    BIGINT
);
CREATE UNIQUE INDEX volunteer_invitations_open ON volunteer_invitations (request_id, volunteer_id) WHERE status = 'invited';
CREATE INDEX volunteer_invitations_volunteer ON volunteer_invitations (volunteer_id, status);
