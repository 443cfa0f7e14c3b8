-- Households (household.go): the flats (户, 房号) of a building, their
-- members with one household representative (户代表), and for owners'
-- decisions the owner of record and the floor area (hundredths of a m²,
-- from the property record, entered by community staff; every change is in
-- the security log). Votes may now count one ballot per household or
-- owners by head and area (electorate.go).
CREATE TABLE cogov_households (
    id         @ID_PK@,
    area_code  TEXT NOT NULL, -- the building
    room       TEXT NOT NULL,
    owner_id   BIGINT REFERENCES users (id),
    area_centi BIGINT NOT NULL DEFAULT 0,
    UNIQUE (area_code, room)
);

-- A person belongs to one household (the key on user_id): a person who
-- could be a member of two flats could cast two households' ballots.
CREATE TABLE cogov_household_members (
    household_id   BIGINT NOT NULL REFERENCES cogov_households (id),
    user_id        BIGINT NOT NULL REFERENCES users (id),
    representative BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (household_id, user_id),
    UNIQUE (user_id)
);

-- The electorate a vote was put to and, for owners' votes, the area on
-- its roll.
ALTER TABLE cogov_votes ADD COLUMN electorate TEXT NOT NULL DEFAULT 'person';
ALTER TABLE cogov_votes ADD COLUMN roll_area BIGINT NOT NULL DEFAULT 0;

-- The roll of a household vote lists every member with their household;
-- of an owners' vote every owner with their area (the weight).
ALTER TABLE cogov_roll ADD COLUMN household_id BIGINT;
ALTER TABLE cogov_roll ADD COLUMN weight BIGINT NOT NULL DEFAULT 1;

-- One row per household on a household vote's roll: THAT it voted.
CREATE TABLE cogov_roll_households (
    vote_id      BIGINT NOT NULL REFERENCES cogov_votes (id),
    household_id BIGINT NOT NULL,
    voted        BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (vote_id, household_id)
);

-- An owners' ballot carries its owner's area (0 in other votes): see
-- docs/cogovernance.md on what that reveals.
ALTER TABLE cogov_ballots ADD COLUMN weight BIGINT NOT NULL DEFAULT 0;
