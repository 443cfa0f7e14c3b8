-- The kept tally of a vote (box.go): brought up to date in the same
-- transaction as each ballot, so that closing a vote reads these lines
-- rather than every ballot. A yes/no or approval vote keeps a line per
-- option (how many ballots chose it, the sum of their weights); a score or
-- ranked poll a line per distinct ballot (its choices as JSON). No voter,
-- no time, no serial: on SQLite the table has no rowid, so its lines lie in
-- key order, not in the order they first appeared.
CREATE TABLE cogov_tally (
    vote_id BIGINT NOT NULL REFERENCES cogov_votes (id),
    item    TEXT NOT NULL,
    n       BIGINT NOT NULL,
    weight  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (vote_id, item)
) @WITHOUT_ROWID@;

-- The multiset digest of the vote's ballot box (MuHash, box.go) as 384
-- bytes in hex, kept with the tally. Empty for votes opened before kept
-- tallies: those are counted from their box when they close.
ALTER TABLE cogov_votes ADD COLUMN box_digest TEXT NOT NULL DEFAULT '';
