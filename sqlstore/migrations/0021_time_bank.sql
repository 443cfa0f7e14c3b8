-- Time bank (volunteer.go): an append-only double-entry ledger in minutes.
-- A transfer is one row of timebank_txns and two entries summing to zero;
-- an account's balance is kept beside its entries, changed in the same
-- transaction, and verify checks that both agree.
CREATE TABLE timebank_accounts (
    account TEXT PRIMARY KEY,
    balance BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE timebank_txns (
    id         @ID_PK@,
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    actor_id   BIGINT,
    actor      TEXT NOT NULL,
    request_id BIGINT REFERENCES volunteer_requests (id),
    at         BIGINT NOT NULL
);

CREATE TABLE timebank_entries (
    id      @ID_PK@,
    txn     BIGINT NOT NULL REFERENCES timebank_txns (id),
    account TEXT NOT NULL REFERENCES timebank_accounts (account),
    minutes BIGINT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX timebank_entries_account ON timebank_entries (account, at);
-- A service is credited once and paid for once.
CREATE UNIQUE INDEX timebank_txns_request ON timebank_txns (request_id, kind) WHERE request_id IS NOT NULL;
