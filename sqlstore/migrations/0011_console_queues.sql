-- The console's work queues are read oldest deadline first, a page at a
-- time from where the last page ended: cases waiting to be registered by
-- their response limit, cases waiting to be dispatched by when they were
-- registered. Each index serves one status in that order and the cursor;
-- the grid code at the end lets the scope be checked from the index before
-- a case's row is read.
CREATE INDEX cases_status_respond_by ON cases (status, respond_by, id, grid_code);
CREATE INDEX cases_status_responded_at ON cases (status, responded_at, id, grid_code);
