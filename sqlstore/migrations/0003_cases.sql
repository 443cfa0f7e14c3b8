-- Cases (工单): the category catalogue, the cases, and their hash-chained
-- history.

CREATE TABLE case_categories (
    code               TEXT PRIMARY KEY,
    name_zh            TEXT NOT NULL,
    name_en            TEXT NOT NULL,
    grp                TEXT NOT NULL DEFAULT '',
    icon               TEXT NOT NULL DEFAULT '',
    keywords           TEXT NOT NULL DEFAULT '',
    respond_within     TEXT NOT NULL,
    resolve_within     TEXT NOT NULL,
    default_dept       TEXT NOT NULL DEFAULT '',
    duplicate_radius_m DOUBLE PRECISION NOT NULL DEFAULT 50,
    duplicate_hours    INTEGER NOT NULL DEFAULT 72,
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at         BIGINT NOT NULL
);

CREATE TABLE cases (
    id             @ID_PK@,
    category       TEXT NOT NULL REFERENCES case_categories (code),
    status         TEXT NOT NULL,
    pending        TEXT NOT NULL DEFAULT '',
    pending_detail TEXT NOT NULL DEFAULT '', -- e.g. the extension asked for
    prev_status    TEXT NOT NULL DEFAULT '',
    channel        TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    lat            DOUBLE PRECISION NOT NULL,
    lng            DOUBLE PRECISION NOT NULL,
    address        TEXT NOT NULL DEFAULT '',
    grid_code      TEXT NOT NULL,
    building_code  TEXT NOT NULL DEFAULT '',
    reporter_id    BIGINT REFERENCES users (id),
    reporter_name  TEXT NOT NULL DEFAULT '',
    reporter_phone TEXT NOT NULL DEFAULT '',
    assignee_id    BIGINT REFERENCES users (id),
    assignee_dept  TEXT NOT NULL DEFAULT '',
    merged_into    BIGINT REFERENCES cases (id),
    me_too         INTEGER NOT NULL DEFAULT 0,
    rating         INTEGER NOT NULL DEFAULT 0,
    rating_note    TEXT NOT NULL DEFAULT '',
    reworks        INTEGER NOT NULL DEFAULT 0,
    reopens        INTEGER NOT NULL DEFAULT 0,
    extensions     INTEGER NOT NULL DEFAULT 0,
    self_handled   BOOLEAN NOT NULL DEFAULT FALSE,
    escalation     INTEGER NOT NULL DEFAULT 0,
    photos         TEXT NOT NULL DEFAULT '', -- comma-separated photo refs
    respond_by     BIGINT,
    resolve_by     BIGINT,
    -- The next moment a deadline of this open case passes (the scheduler's
    -- due-time index); NULL when no timer runs.
    next_deadline  BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    responded_at   BIGINT,
    dispatched_at  BIGINT,
    handled_at     BIGINT,
    closed_at      BIGINT,
    suspended_at   BIGINT,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cases_grid_status ON cases (grid_code, status);
CREATE INDEX cases_reporter ON cases (reporter_id) WHERE reporter_id IS NOT NULL;
CREATE INDEX cases_assignee ON cases (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX cases_category_created ON cases (category, created_at);
CREATE INDEX cases_next_deadline ON cases (next_deadline) WHERE next_deadline IS NOT NULL;

-- The history: append-only, hash-chained per case.
CREATE TABLE case_events (
    id          @ID_PK@,
    case_id     BIGINT NOT NULL REFERENCES cases (id),
    seq         INTEGER NOT NULL,
    at          BIGINT NOT NULL,
    actor_id    BIGINT,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '', -- JSON object of strings
    attachments TEXT NOT NULL DEFAULT '', -- comma-separated photo refs
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE UNIQUE INDEX case_events_seq ON case_events (case_id, seq);

-- People who said "me too": a person counts once per case.
CREATE TABLE case_supporters (
    case_id BIGINT NOT NULL REFERENCES cases (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    at      BIGINT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);

-- Idempotency keys of case intake, written in the same transaction as the
-- case: a retry finds the case it made; the same key with another body is
-- refused.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL, -- who sent it (user or token)
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    case_id      BIGINT NOT NULL REFERENCES cases (id),
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

-- Indicator rollups: counters per cohort (report day in Beijing time,
-- category) for every area above a case's grid, kept up to date in the
-- transaction of each event (see indicators.go and docs/indicators.md).
CREATE TABLE case_rollups (
    area_code         TEXT NOT NULL,
    day               INTEGER NOT NULL, -- yyyymmdd
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
    PRIMARY KEY (area_code, day, category)
);

-- Close-time histogram per cohort (bucket: see CloseBucket).
CREATE TABLE case_rollup_hist (
    area_code TEXT NOT NULL,
    day       INTEGER NOT NULL,
    category  TEXT NOT NULL,
    bucket    INTEGER NOT NULL,
    n         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (area_code, day, category, bucket)
);
