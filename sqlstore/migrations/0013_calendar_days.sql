-- The city's own calendar days: holidays and make-up working days declared
-- by its administrators, each winning over the shipped national schedule
-- for its date. One row per date, so a date cannot be both.
CREATE TABLE calendar_days (
    day        TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    note       TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
