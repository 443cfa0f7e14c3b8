-- Monthly indicator rollups: the daily counters and close-time histogram
-- summed per calendar month (of report days, Beijing time), kept in the
-- same transaction as the daily ones. A period is summed from the whole
-- months in it plus the daily rows of the days before and after them, so
-- a city's year reads 12 rows per category instead of 365.
--
-- The close-time histograms also get rows under category '' (no real
-- category has an empty code) for all categories together, so that a
-- scope's histogram reads one row per bucket and period instead of one per
-- category as well.
CREATE TABLE case_rollups_monthly (
    area_code         TEXT NOT NULL,
    month             INTEGER NOT NULL, -- yyyymm
    category          TEXT NOT NULL,
    received          BIGINT NOT NULL DEFAULT 0,
    responded         BIGINT NOT NULL DEFAULT 0,
    responded_on_time BIGINT NOT NULL DEFAULT 0,
    registered        BIGINT NOT NULL DEFAULT 0,
    dispatched        BIGINT NOT NULL DEFAULT 0,
    handled           BIGINT NOT NULL DEFAULT 0,
    reworked          BIGINT NOT NULL DEFAULT 0,
    extended          BIGINT NOT NULL DEFAULT 0,
    closed            BIGINT NOT NULL DEFAULT 0,
    closed_on_time    BIGINT NOT NULL DEFAULT 0,
    reopened          BIGINT NOT NULL DEFAULT 0,
    rated             BIGINT NOT NULL DEFAULT 0,
    satisfied         BIGINT NOT NULL DEFAULT 0,
    close_ms          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (area_code, month, category)
);

-- The histograms are keyed by category before the period: a query reads
-- one category (or '') of one area, and the rows it wants are then next
-- to each other instead of interleaved with the other categories' rows.
CREATE TABLE case_rollup_hist_monthly (
    area_code TEXT NOT NULL,
    category  TEXT NOT NULL,
    month     INTEGER NOT NULL,
    bucket    INTEGER NOT NULL,
    n         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (area_code, category, month, bucket)
);

CREATE TABLE case_rollup_hist_new (
    area_code TEXT NOT NULL,
    category  TEXT NOT NULL,
    day       INTEGER NOT NULL,
    bucket    INTEGER NOT NULL,
    n         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (area_code, category, day, bucket)
);

-- Counters kept before this migration.
INSERT INTO case_rollups_monthly (area_code, month, category, received, responded, responded_on_time, registered, dispatched,
    handled, reworked, extended, closed, closed_on_time, reopened, rated, satisfied, close_ms)
SELECT area_code, day / 100, category, SUM(received), SUM(responded), SUM(responded_on_time), SUM(registered), SUM(dispatched),
    SUM(handled), SUM(reworked), SUM(extended), SUM(closed), SUM(closed_on_time), SUM(reopened), SUM(rated), SUM(satisfied), SUM(close_ms)
FROM case_rollups GROUP BY area_code, day / 100, category;

INSERT INTO case_rollup_hist_new (area_code, category, day, bucket, n)
SELECT area_code, category, day, bucket, n FROM case_rollup_hist;
INSERT INTO case_rollup_hist_new (area_code, category, day, bucket, n)
SELECT area_code, '', day, bucket, SUM(n) FROM case_rollup_hist GROUP BY area_code, day, bucket;
DROP TABLE case_rollup_hist;
ALTER TABLE case_rollup_hist_new RENAME TO case_rollup_hist;

INSERT INTO case_rollup_hist_monthly (area_code, category, month, bucket, n)
SELECT area_code, category, day / 100, bucket, SUM(n) FROM case_rollup_hist GROUP BY area_code, category, day / 100, bucket;
