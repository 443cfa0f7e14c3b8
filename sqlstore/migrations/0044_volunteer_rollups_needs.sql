-- Volunteer indicators (volunteer_indicators.go), kept like the case
-- rollups: per area (grid, community, street, district, city) and day, and
-- per month, changed in the transaction of the request's event that
-- changes them; `civicgrid indicators check` recomputes them from the
-- requests' histories. Requests already in the store are counted by
-- `civicgrid indicators rebuild`.
CREATE TABLE volunteer_rollups (
    area_code        TEXT NOT NULL,
    day              INTEGER NOT NULL,
    requests         BIGINT NOT NULL DEFAULT 0,
    answered         BIGINT NOT NULL DEFAULT 0,
    answered_on_time BIGINT NOT NULL DEFAULT 0,
    taken            BIGINT NOT NULL DEFAULT 0,
    taken_in_time    BIGINT NOT NULL DEFAULT 0,
    completed        BIGINT NOT NULL DEFAULT 0,
    confirmed        BIGINT NOT NULL DEFAULT 0,
    minutes          BIGINT NOT NULL DEFAULT 0,
    rated            BIGINT NOT NULL DEFAULT 0,
    rating_sum       BIGINT NOT NULL DEFAULT 0,
    satisfied        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (area_code, day)
);
CREATE TABLE volunteer_rollups_monthly (
    area_code        TEXT NOT NULL,
    month            INTEGER NOT NULL,
    requests         BIGINT NOT NULL DEFAULT 0,
    answered         BIGINT NOT NULL DEFAULT 0,
    answered_on_time BIGINT NOT NULL DEFAULT 0,
    taken            BIGINT NOT NULL DEFAULT 0,
    taken_in_time    BIGINT NOT NULL DEFAULT 0,
    completed        BIGINT NOT NULL DEFAULT 0,
    confirmed        BIGINT NOT NULL DEFAULT 0,
    minutes          BIGINT NOT NULL DEFAULT 0,
    rated            BIGINT NOT NULL DEFAULT 0,
    rating_sum       BIGINT NOT NULL DEFAULT 0,
    satisfied        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (area_code, month)
);
-- Active volunteers are distinct people, not a sum: each volunteer's
-- confirmed services per area and day (and month); a period's active
-- volunteers are the distinct volunteers of its rows.
CREATE TABLE volunteer_served (
    area_code TEXT NOT NULL,
    day       INTEGER NOT NULL,
    volunteer TEXT NOT NULL,
    services  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (area_code, day, volunteer)
);
CREATE TABLE volunteer_served_monthly (
    area_code TEXT NOT NULL,
    month     INTEGER NOT NULL,
    volunteer TEXT NOT NULL,
    services  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (area_code, month, volunteer)
);
-- Matching by needs (volunteer.go): what a request needs (need codes,
-- comma-separated: skills of the catalogue, a woman volunteer …) and the
-- gender a volunteer chose to give (empty: not given).
ALTER TABLE volunteer_requests ADD COLUMN needs TEXT NOT NULL DEFAULT '';
ALTER TABLE volunteer_profiles ADD COLUMN gender TEXT NOT NULL DEFAULT '';
