-- Areas of the administrative hierarchy, one row per version. A redrawn area
-- gets a new row; the old one keeps its id with valid_to set, so records made
-- against it keep pointing at the shape as it was.
CREATE TABLE areas (
    id          @ID_PK@,
    code        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('city', 'district', 'street', 'community', 'grid', 'building')),
    name        TEXT NOT NULL,
    parent_code TEXT,
    number      TEXT NOT NULL DEFAULT '',
    geometry    TEXT,             -- GeoJSON geometry, WGS-84 lng/lat rounded to 1e-7 degrees
    min_lng     DOUBLE PRECISION, -- bounding box, for bbox filters without parsing geometry
    min_lat     DOUBLE PRECISION,
    max_lng     DOUBLE PRECISION,
    max_lat     DOUBLE PRECISION,
    valid_from  BIGINT NOT NULL,  -- epoch milliseconds
    valid_to    BIGINT            -- NULL while this version is current
);
CREATE UNIQUE INDEX areas_current_code ON areas (code) WHERE valid_to IS NULL;
CREATE INDEX areas_current_parent ON areas (parent_code) WHERE valid_to IS NULL;
CREATE INDEX areas_current_level ON areas (level, code) WHERE valid_to IS NULL;
CREATE INDEX areas_versions ON areas (code, valid_from);

-- People known to civicgrid. Accounts (passwords, sessions) extend this table.
CREATE TABLE users (
    id         @ID_PK@,
    name       TEXT NOT NULL,
    phone      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_phone ON users (phone);

-- A role held over an area's subtree (the area code is a prefix of every code in scope).
CREATE TABLE role_grants (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    role       TEXT NOT NULL,
    area_code  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, role, area_code)
);
CREATE INDEX role_grants_area ON role_grants (area_code, role);

-- Tokens for integrations and the admin API; only a SHA-256 of the secret is kept.
CREATE TABLE api_tokens (
    id         @ID_PK@,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    role       TEXT NOT NULL,
    area_code  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);

-- Small named counters and settings, e.g. area_generation.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('area_generation', 0);
