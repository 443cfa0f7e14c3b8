-- The response and on-time closure rates count only cases that are due:
-- answered or closed, or past their limit (docs/indicators.md). Two
-- counters hold those denominators. Events recorded before them count a
-- case when it was first answered or first closed, so the stored cohorts
-- start from those counts: what a recomputation from the event log gives.
ALTER TABLE case_rollups ADD COLUMN respond_due BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups ADD COLUMN resolve_due BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN respond_due BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN resolve_due BIGINT NOT NULL DEFAULT 0;
UPDATE case_rollups SET respond_due = responded, resolve_due = closed;
UPDATE case_rollups_monthly SET respond_due = responded, resolve_due = closed;
