-- Likely duplicates are looked up by category and a small box around the
-- point: a two-sided latitude range narrows them to a band of the city,
-- and the other columns of the test are in the index, so only real
-- candidates are read from the table.
CREATE INDEX cases_duplicates ON cases (category, lat, lng, created_at, status);
