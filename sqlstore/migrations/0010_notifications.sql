-- Notifications: a per-person inbox and the SMS queue fed from it. A
-- producer walks an event log (the case event log) by its cursor and adds
-- what a stretch made in the same transaction as it moves the cursor; a
-- message is unique per source (e.g. one case event) and recipient, so a
-- stretch taken twice adds nothing twice.
CREATE TABLE notification_cursors (
    name     TEXT PRIMARY KEY,
    event_id BIGINT NOT NULL
);
-- A site that already has a history starts telling from now on: nobody
-- gets a text message about last year's case on the day of the upgrade.
INSERT INTO notification_cursors (name, event_id) SELECT 'cases', COALESCE(MAX(id), 0) FROM case_events;

CREATE TABLE notifications (
    id              @ID_PK@,
    user_id         BIGINT NOT NULL REFERENCES users (id),
    kind            TEXT NOT NULL,
    source          TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    link            TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    read_at         BIGINT,
    -- none | pending | sending | sent | opted_out | limited | failed
    sms_state       TEXT NOT NULL,
    sms_attempts    INTEGER NOT NULL DEFAULT 0,
    sms_next_at     BIGINT NOT NULL DEFAULT 0, -- next attempt, or the lease's end while sending
    sms_at          BIGINT                     -- when it was handed to the gateway
);
CREATE UNIQUE INDEX notifications_source ON notifications (source, user_id);
CREATE INDEX notifications_inbox ON notifications (user_id, id);
CREATE INDEX notifications_sms_due ON notifications (sms_state, sms_next_at);
CREATE INDEX notifications_sms_sent ON notifications (user_id, sms_at);

CREATE TABLE notification_prefs (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    sms_off BOOLEAN NOT NULL DEFAULT FALSE,
    lang    TEXT NOT NULL DEFAULT ''
);
