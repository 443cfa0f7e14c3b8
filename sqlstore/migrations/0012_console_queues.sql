-- The console's work queues are read oldest deadline first, a page at a
-- time from where the last page ended: cases waiting to be registered by
-- their response limit, cases waiting to be dispatched by when they were
-- registered. Each index serves one status in that order and the cursor;
-- the grid code at the end lets the scope be checked from the index before
-- a case's row is read.
CREATE INDEX cases_status_respond_by ON cases (status, respond_by, id, grid_code);
CREATE INDEX cases_status_responded_at ON cases (status, responded_at, id, grid_code);
-- Newest-first lists of one status (the queue, the console's search) read
-- the (status, id) index and check each case's grid, and for the overdue
-- list its clocks: with these in the index the checks need no row, so a
-- grid's page among a district's thousands of open cases, or the overdue
-- few among thousands on time, costs an index walk, not a row read per case.
CREATE INDEX cases_status_id_grid ON cases (status, id, grid_code, escalation, respond_by, resolve_by);
DROP INDEX cases_status_id;
