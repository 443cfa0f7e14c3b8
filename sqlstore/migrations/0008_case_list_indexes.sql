-- Case lists are newest first (ORDER BY id DESC) with a cursor: an index
-- that ends in id serves a filter in that order and stops at the page's
-- end. A list of several statuses reads each status's index and merges.
-- The category and creation time index sorted a whole category for every
-- page (Open311 lists, the duplicate window): it gives way to category
-- and id.
CREATE INDEX cases_status_id ON cases (status, id);
CREATE INDEX cases_category_id ON cases (category, id);
DROP INDEX cases_category_created;
