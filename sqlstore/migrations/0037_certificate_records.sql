-- Certificates become immutable records of what was certified: each keeps
-- the service records it counts (date, service, minutes) as they were when
-- issued, who issued it, and whether and why it was revoked. A re-issue is
-- a new certificate, so the one-per-period uniqueness goes; issuing and
-- revoking are events of each certificate's own hash-chained history.
-- dialect: sqlite
CREATE TABLE volunteer_certificates_new (
    id            @ID_PK@,
    code          TEXT NOT NULL UNIQUE,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    community     TEXT NOT NULL,
    issuer        TEXT NOT NULL,
    period_from   BIGINT NOT NULL,
    period_to     BIGINT NOT NULL,
    minutes       INTEGER NOT NULL,
    services      INTEGER NOT NULL,
    stars         INTEGER NOT NULL,
    issued_at     BIGINT NOT NULL,
    records       TEXT NOT NULL DEFAULT '[]',
    issued_by_id  BIGINT,
    issued_by     TEXT NOT NULL DEFAULT '',
    revoked_at    BIGINT,
    revoke_reason TEXT NOT NULL DEFAULT '',
    revoked_by    TEXT NOT NULL DEFAULT ''
);
INSERT INTO volunteer_certificates_new (id, code, user_id, name, community, issuer, period_from, period_to, minutes, services, stars, issued_at)
    SELECT id, code, user_id, name, community, issuer, period_from, period_to, minutes, services, stars, issued_at FROM volunteer_certificates;
DROP TABLE volunteer_certificates;
ALTER TABLE volunteer_certificates_new RENAME TO volunteer_certificates;
-- dialect: postgres
DO $$
DECLARE c text;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'volunteer_certificates'::regclass AND contype = 'u' AND array_length(conkey, 1) = 5 LOOP
        EXECUTE 'ALTER TABLE volunteer_certificates DROP CONSTRAINT ' || quote_ident(c);
    END LOOP;
END $$;
ALTER TABLE volunteer_certificates ADD COLUMN records TEXT NOT NULL DEFAULT '[]';
ALTER TABLE volunteer_certificates ADD COLUMN issued_by_id BIGINT;
ALTER TABLE volunteer_certificates ADD COLUMN issued_by TEXT NOT NULL DEFAULT '';
ALTER TABLE volunteer_certificates ADD COLUMN revoked_at BIGINT;
ALTER TABLE volunteer_certificates ADD COLUMN revoke_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE volunteer_certificates ADD COLUMN revoked_by TEXT NOT NULL DEFAULT '';
-- dialect: all
CREATE INDEX volunteer_certificates_user ON volunteer_certificates (user_id, id);
CREATE INDEX volunteer_certificates_community ON volunteer_certificates (community, id);

CREATE TABLE volunteer_certificate_events (
    id             @ID_PK@,
    certificate_id BIGINT NOT NULL REFERENCES volunteer_certificates (id),
    seq            INTEGER NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL,
    at             BIGINT NOT NULL,
    actor_id       BIGINT,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    data           TEXT NOT NULL DEFAULT '',
    UNIQUE (certificate_id, seq)
);

-- A statement reads a member's entries of a period with their transfers:
-- the index carries the columns it needs, so the entries' rows are not
-- looked up one by one (it replaces the (account, at) index of 0021).
CREATE INDEX timebank_entries_statement ON timebank_entries (account, at, id, txn, minutes);
DROP INDEX timebank_entries_account;
