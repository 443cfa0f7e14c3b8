-- Open311 GeoReport v2 api_keys for client applications; the key is shown
-- once and kept as its SHA-256.
CREATE TABLE open311_keys (
    id         @ID_PK@,
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX open311_keys_hash ON open311_keys (key_hash);
