-- Co-governance, the voting side (election.go): objections (异议) to a
-- result on public notice, the channel each voter voted by, paper ballots
-- entered by two staff with a witness, and building-role elections (两长四员)
-- with their nominations. Events go on the vote's and the election's chains
-- in cogov_events (subject vote:ID, election:ID).

-- How a person on the roll voted: '' not yet, online, paper. Never what.
ALTER TABLE cogov_roll ADD COLUMN channel TEXT NOT NULL DEFAULT '';
UPDATE cogov_roll SET channel = 'online' WHERE voted;

-- Objections show on the public board without their author (author_id is
-- for staff and the audit).
CREATE TABLE cogov_objections (
    id          @ID_PK@,
    vote_id     BIGINT NOT NULL REFERENCES cogov_votes (id),
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL,
    response    TEXT NOT NULL DEFAULT '',
    author_id   BIGINT NOT NULL REFERENCES users (id),
    decided_by  BIGINT REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    decided_at  BIGINT
);
CREATE INDEX cogov_objections_vote ON cogov_objections (vote_id, id);

-- Paper ballots as staff enter them from the opened box: no voter. Once
-- confirmed by a second staff member the choices are only in the box
-- (choices here is emptied).
CREATE TABLE cogov_paper_ballots (
    id           @ID_PK@,
    vote_id      BIGINT NOT NULL REFERENCES cogov_votes (id),
    choices      TEXT NOT NULL, -- JSON array while pending, '' once confirmed
    witness      TEXT NOT NULL,
    status       TEXT NOT NULL,
    entered_by   BIGINT NOT NULL REFERENCES users (id),
    confirmed_by BIGINT REFERENCES users (id),
    entered_at   BIGINT NOT NULL
);
CREATE INDEX cogov_paper_ballots_vote ON cogov_paper_ballots (vote_id, status);

CREATE TABLE cogov_elections (
    id           @ID_PK@,
    area_code    TEXT NOT NULL,
    role         TEXT NOT NULL, -- building role kind key
    seats        INTEGER NOT NULL,
    term_months  INTEGER NOT NULL,
    status       TEXT NOT NULL,
    vote_id      BIGINT REFERENCES cogov_votes (id),
    created_by   BIGINT REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    final_at     BIGINT,
    term_ends_at BIGINT,
    reminded     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX cogov_elections_area ON cogov_elections (area_code, id);
CREATE INDEX cogov_elections_status ON cogov_elections (status, term_ends_at);

CREATE TABLE cogov_nominations (
    election_id  BIGINT NOT NULL REFERENCES cogov_elections (id),
    user_id      BIGINT NOT NULL REFERENCES users (id),
    nominated_by BIGINT NOT NULL REFERENCES users (id),
    label        TEXT NOT NULL,
    accepted     BOOLEAN NOT NULL DEFAULT FALSE,
    position     INTEGER NOT NULL,
    PRIMARY KEY (election_id, user_id)
);
