-- Case lists are newest first (ORDER BY id DESC) with a cursor: an index
-- that ends in id serves a filter in that order and stops at the page's
-- end. A list of several statuses reads each status's index and merges.
-- The category and creation time index sorted a whole category for every
-- page (Open311 lists, the duplicate window): it gives way to category
-- and id, and to category, status and id for Open311's service_code with
-- status (one status at a time, like the lists).
CREATE INDEX cases_status_id ON cases (status, id);
CREATE INDEX cases_category_id ON cases (category, id);
CREATE INDEX cases_category_status_id ON cases (category, status, id);
DROP INDEX cases_category_created;
