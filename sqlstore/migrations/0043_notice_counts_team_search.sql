-- Notices (notice.go, docs/notices.md). The follow-up list counts a
-- notice's receipts from this index alone (read and confirmed). A team's
-- notice is found by the search by its members: its document carries the
-- team's tag (a step in Go after this file re-indexes the team notices).
CREATE INDEX notice_receipts_counts ON notice_receipts (notice_id, user_id, confirmed_at);
