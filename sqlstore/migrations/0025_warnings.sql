-- Risk early warning (warning.go): alerts raised by the daily run from the
-- indicator rollups, one per kind, grid, category and day; the grids each
-- counts (a cluster has several), for finding the alerts of an area.
CREATE TABLE warning_alerts (
    id          @ID_PK@,
    kind        TEXT NOT NULL,
    category    TEXT NOT NULL,
    grid        TEXT NOT NULL,
    day         TEXT NOT NULL, -- yyyy-mm-dd, Beijing time
    window_days INTEGER NOT NULL,
    observed    BIGINT NOT NULL,
    expected    DOUBLE PRECISION NOT NULL,
    p_value     DOUBLE PRECISION NOT NULL,
    threshold   DOUBLE PRECISION NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    decided_by_id BIGINT REFERENCES users (id),
    decided_by  TEXT NOT NULL DEFAULT '',
    decided_at  BIGINT,
    case_id     BIGINT,
    created_at  BIGINT NOT NULL,
    UNIQUE (kind, grid, category, day)
);

CREATE TABLE warning_alert_grids (
    alert_id BIGINT NOT NULL REFERENCES warning_alerts (id),
    grid     TEXT NOT NULL,
    PRIMARY KEY (grid, alert_id)
);
