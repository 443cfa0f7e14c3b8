-- Accounts: staff and residents log in with a phone number and a password
-- (an argon2id PHC string). Consecutive failures lock the account for a while.
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'staff';
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT;

-- Grants get an id (to revoke one), a detail (a reporter's team, a building
-- role's kind), a department handler's categories and who granted them.
CREATE TABLE role_grants_v2 (
    id         @ID_PK@,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    role       TEXT NOT NULL,
    area_code  TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    categories TEXT NOT NULL DEFAULT '', -- comma-separated category codes
    granted_by BIGINT,
    created_at BIGINT NOT NULL
);
INSERT INTO role_grants_v2 (user_id, role, area_code, created_at)
    SELECT user_id, role, area_code, created_at FROM role_grants;
DROP TABLE role_grants;
ALTER TABLE role_grants_v2 RENAME TO role_grants;
CREATE UNIQUE INDEX role_grants_unique ON role_grants (user_id, role, area_code, detail);
CREATE INDEX role_grants_area ON role_grants (area_code, role);

-- Server-side sessions; the cookie holds a secret whose SHA-256 is kept here.
CREATE TABLE sessions (
    id           @ID_PK@,
    secret_hash  TEXT NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    csrf_token   TEXT NOT NULL,
    via          TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX sessions_secret ON sessions (secret_hash);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- One-time codes sent by SMS (sign-up, password reset); hashed, short-lived.
CREATE TABLE one_time_codes (
    id         @ID_PK@,
    phone      TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    used_at    BIGINT
);
CREATE INDEX one_time_codes_phone ON one_time_codes (phone, purpose, created_at);

-- The security audit log: append-only.
CREATE TABLE security_events (
    id             @ID_PK@,
    at             BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
    actor_id       BIGINT,
    actor          TEXT NOT NULL DEFAULT '',
    target_user_id BIGINT,
    area_code      TEXT NOT NULL DEFAULT '',
    ip             TEXT NOT NULL DEFAULT '',
    detail         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX security_events_at ON security_events (at);
CREATE INDEX security_events_area ON security_events (area_code, id);

-- Building roles (两长四员) are data: admins may add local ones.
CREATE TABLE building_role_kinds (
    key        TEXT PRIMARY KEY,
    name_zh    TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO building_role_kinds (key, name_zh, name_en, created_at) VALUES
    ('party_group_leader', '党小组长', 'Party group leader', 0),
    ('building_head', '楼栋长', 'Building head', 0),
    ('property_member', '物管员', 'Property member', 0),
    ('info_member', '信息员', 'Information member', 0),
    ('publicity_member', '宣传员', 'Publicity member', 0),
    ('mediator', '调解员', 'Mediator', 0);

-- Staff logging in through an external OpenID Connect provider.
CREATE TABLE user_identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);

-- Tokens now remember who made them and may carry a department's categories.
ALTER TABLE api_tokens ADD COLUMN created_by BIGINT;
ALTER TABLE api_tokens ADD COLUMN detail TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN categories TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
CREATE INDEX api_tokens_created_by ON api_tokens (created_by);
