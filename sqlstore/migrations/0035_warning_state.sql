-- The early warning's daily run keeps its sums from one day to the next
-- (warning/state.go, docs/warnings.md "The daily run"): one row per area
-- it runs over, the state as of a day, built by the first run (nothing is
-- built here). Judging a day then reads the grids' rows of a few single
-- days: this index of the grid-level rollup rows by day finds them (the
-- primary key and migration 0031's index start with the area, so a day's
-- rows of a city would walk the city's whole history).
-- dialect: sqlite
CREATE TABLE warning_state (
    scope    TEXT PRIMARY KEY,
    day      INTEGER NOT NULL,
    data     BLOB NOT NULL,
    saved_at BIGINT NOT NULL
);
-- dialect: postgres
CREATE TABLE warning_state (
    scope    TEXT PRIMARY KEY,
    day      INTEGER NOT NULL,
    data     BYTEA NOT NULL,
    saved_at BIGINT NOT NULL
);
-- dialect: all
CREATE INDEX case_rollups_grid_day ON case_rollups (day, area_code, category, received) WHERE LENGTH(area_code) = 15;
