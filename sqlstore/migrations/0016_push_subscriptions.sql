-- Browser push (Web Push, RFC 8030/8291/8292): each browser that turned
-- notifications on is a subscription of one person, the push service's
-- endpoint URL and the browser's keys. An endpoint is unique: it names one
-- browser profile, which gets one person's messages.
CREATE TABLE push_subscriptions (
    id         @ID_PK@,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    endpoint   TEXT NOT NULL UNIQUE,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- The login session the browser subscribed in: logging out there (or
    -- the session's end, a password change) ends the subscription, so a
    -- shared phone stops showing the last person's messages.
    session_id BIGINT REFERENCES sessions (id) ON DELETE CASCADE
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

-- A new message waits here to be pushed; taking it clears the mark in the
-- same transaction, so each is pushed at most once.
ALTER TABLE notifications ADD COLUMN push_pending BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX notifications_push_pending ON notifications (push_pending, id);

-- Push can be paused for all of a person's devices without losing them.
ALTER TABLE notification_prefs ADD COLUMN push_off BOOLEAN NOT NULL DEFAULT FALSE;
