-- Outbound webhooks. A hook's cursor walks the case event log; each event
-- it wants becomes a delivery, retried until delivered or dead-lettered.
-- The signing secret is derived from the server's webhook key and the salt:
-- the database alone does not hold it.
CREATE TABLE webhooks (
    id           @ID_PK@,
    name         TEXT NOT NULL,
    url          TEXT NOT NULL,
    within_code  TEXT NOT NULL,
    actions      TEXT NOT NULL DEFAULT '', -- comma-separated; empty = all
    secret_salt  TEXT NOT NULL,
    cursor_event BIGINT NOT NULL DEFAULT 0,
    created_by   BIGINT,
    created_at   BIGINT NOT NULL,
    disabled_at  BIGINT
);

CREATE TABLE webhook_deliveries (
    id              @ID_PK@,
    webhook_id      BIGINT NOT NULL REFERENCES webhooks (id),
    event_id        BIGINT NOT NULL,
    case_id         BIGINT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL, -- pending | delivered | dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (webhook_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
