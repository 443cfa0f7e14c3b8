-- A care visit's concern becomes a request for help in one step (care.go,
-- volunteer.go): the visit keeps the request's id, and the request keeps
-- where it came from, once (asking again for the same visit returns the
-- same request). NULL origins (every request asked directly) never clash.
ALTER TABLE care_visits ADD COLUMN request_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE volunteer_requests ADD COLUMN origin TEXT;
CREATE UNIQUE INDEX volunteer_requests_origin ON volunteer_requests (origin);

-- The early warning reads the grids' daily report counts from the rollups
-- (sqlstore.ForEachGridDay): through the primary key each row was then
-- looked up in the table (wide rows, one seek each). This index covers the
-- read — the daily run's range over a city, and the update after a report
-- (one grid, one category, a year of days) as one short range.
CREATE INDEX case_rollups_received ON case_rollups (area_code, category, day, received);
