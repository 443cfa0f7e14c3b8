-- The case lists pick a page's ids from an index first and read the page's
-- rows last (sqlstore's caseListQuery). These indexes hold every column the
-- lists filter on besides their key — the grid (the caller's scope) and the
-- creation time (Open311's date window) — so that a case outside the scope
-- or the window is passed over in the index, without reading its row.
CREATE INDEX cases_category_status_cover ON cases (category, status, id, grid_code, created_at);
DROP INDEX cases_category_status_id;
CREATE INDEX cases_category_cover ON cases (category, id, grid_code, created_at);
DROP INDEX cases_category_id;
CREATE INDEX cases_status_cover ON cases (status, id, grid_code, escalation, respond_by, resolve_by, created_at);
DROP INDEX cases_status_id_grid;
-- The console's work queues (the triage and dispatch tabs) check the
-- category and, for their overdue filter, the clocks in the index too.
CREATE INDEX cases_status_respond_by_cover ON cases (status, respond_by, id, grid_code, category, escalation, resolve_by);
DROP INDEX cases_status_respond_by;
CREATE INDEX cases_status_responded_at_cover ON cases (status, responded_at, id, grid_code, category, escalation, respond_by, resolve_by);
DROP INDEX cases_status_responded_at;
