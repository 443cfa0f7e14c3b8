-- The escalated (and cancel-pending) open cases, now with their grid and
-- status beside the id, so that a work queue's overdue candidates in a
-- scope are picked from this index alone, without reading each escalated
-- case's row (sqlstore/cases.go, caseListQuery): with 40,000 escalated
-- across a city, a grid's queue read them all. Same name, same condition
-- (written alike, so both engines see that a query implies it).
DROP INDEX cases_overdue;
CREATE INDEX cases_overdue ON cases (id, grid_code, status)
	WHERE status || '' IN ('reported', 'registered', 'dispatched', 'in_progress') AND (escalation > 0 OR pending = 'cancel');
