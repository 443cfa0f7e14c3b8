-- The first characters of each Open311 api_key, kept in clear so that an
-- admin can tell keys apart after the key itself was shown once. Keys made
-- before have none.
ALTER TABLE open311_keys ADD COLUMN key_prefix TEXT NOT NULL DEFAULT '';
