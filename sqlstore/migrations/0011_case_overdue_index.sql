-- The overdue list (the console's and the queue's first rows, ?overdue=true)
-- reads two small sets in id order: the open cases escalated or waiting for
-- a cancellation, here, and those past a deadline the scheduler has not yet
-- acted on, from cases_next_deadline. New cases are in neither, so intake
-- pays nothing for this index. The condition is the one the list's query
-- writes (sqlstore's overdueIndexCondition), status as an expression so that
-- the status index is not taken instead.
CREATE INDEX cases_overdue ON cases (id) WHERE status || '' IN ('reported', 'registered', 'dispatched', 'in_progress') AND (escalation > 0 OR pending = 'cancel');
