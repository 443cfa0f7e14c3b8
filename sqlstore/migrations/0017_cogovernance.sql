-- Co-governance (cogovernance.go): proposals in a scope with their support,
-- votes with a roll frozen at opening, a secret ballot box, and one
-- hash-chained history per proposal and per vote.
CREATE TABLE cogov_proposals (
    id             @ID_PK@,
    area_code      TEXT NOT NULL,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    status         TEXT NOT NULL,
    author_id      BIGINT NOT NULL REFERENCES users (id),
    author         TEXT NOT NULL,
    support_needed INTEGER NOT NULL,
    supports       INTEGER NOT NULL DEFAULT 0,
    reason         TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX cogov_proposals_area ON cogov_proposals (area_code, id);

-- One support per person and proposal (the key refuses a second).
CREATE TABLE cogov_supports (
    proposal_id BIGINT NOT NULL REFERENCES cogov_proposals (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (proposal_id, user_id)
);

CREATE TABLE cogov_votes (
    id           @ID_PK@,
    proposal_id  BIGINT REFERENCES cogov_proposals (id),
    area_code    TEXT NOT NULL,
    question     TEXT NOT NULL,
    method       TEXT NOT NULL,
    options      TEXT NOT NULL, -- JSON array
    winners      INTEGER NOT NULL DEFAULT 0,
    rule         TEXT NOT NULL, -- JSON QuorumRule
    status       TEXT NOT NULL,
    roll_size    INTEGER NOT NULL,
    ballots      INTEGER NOT NULL DEFAULT 0,
    opened_at    BIGINT NOT NULL,
    closes_at    BIGINT NOT NULL,
    closed_at    BIGINT,
    notice_until BIGINT,
    notice_days  INTEGER NOT NULL, -- working days of public notice
    created_by   BIGINT REFERENCES users (id),
    result       TEXT NOT NULL DEFAULT '' -- JSON Result once closed
);
CREATE INDEX cogov_votes_area ON cogov_votes (area_code, id);

-- The roll: who may vote, and THAT they voted. Never what.
CREATE TABLE cogov_roll (
    vote_id BIGINT NOT NULL REFERENCES cogov_votes (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    voted   BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (vote_id, user_id)
);

-- The ballot box: choices under the hash of a random receipt code, with no
-- voter, no serial id and no time. On SQLite the table has no rowid, so
-- rows lie in receipt order, not in the order they were cast.
CREATE TABLE cogov_ballots (
    vote_id      BIGINT NOT NULL REFERENCES cogov_votes (id),
    receipt_hash TEXT NOT NULL,
    choices      TEXT NOT NULL, -- JSON array
    PRIMARY KEY (vote_id, receipt_hash)
) @WITHOUT_ROWID@;

CREATE TABLE cogov_events (
    id        @ID_PK@,
    subject   TEXT NOT NULL, -- proposal:ID or vote:ID
    seq       INTEGER NOT NULL,
    at        BIGINT NOT NULL,
    actor_id  BIGINT,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    note      TEXT NOT NULL DEFAULT '',
    data      TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    UNIQUE (subject, seq)
);
