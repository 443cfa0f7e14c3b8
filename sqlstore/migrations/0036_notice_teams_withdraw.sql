-- A notice may be for a volunteer team (audience 'team'): its id and its
-- name as they were when posted (the notices module never reads the
-- volunteer tables; it asks the volunteer service who the members are).
-- A withdrawn notice keeps who withdrew it, when and why.
ALTER TABLE notices ADD COLUMN team_id BIGINT;
ALTER TABLE notices ADD COLUMN team_name TEXT NOT NULL DEFAULT '';
ALTER TABLE notices ADD COLUMN withdrawn_at BIGINT;
ALTER TABLE notices ADD COLUMN withdrawn_by BIGINT REFERENCES users (id);
ALTER TABLE notices ADD COLUMN withdraw_reason TEXT NOT NULL DEFAULT '';
