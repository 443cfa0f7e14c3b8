-- Courtyards (院落, courtyard.go): named groups of a community's buildings,
-- made and edited by its staff; a building lies in at most one courtyard
-- (the key on building). A courtyard is a scope of proposals, meetings,
-- votes and projects.
CREATE TABLE cogov_courtyards (
    id         @ID_PK@,
    community  TEXT NOT NULL,
    name       TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (community, name)
);

CREATE TABLE cogov_courtyard_buildings (
    building     TEXT PRIMARY KEY,
    courtyard_id BIGINT NOT NULL REFERENCES cogov_courtyards (id)
);
CREATE INDEX cogov_courtyard_buildings_courtyard ON cogov_courtyard_buildings (courtyard_id);

-- A matter raised in a courtyard keeps the courtyard and its buildings as
-- they were then (its area_code is the courtyard's community): a later edit
-- of the courtyard moves neither the matter nor a frozen roll.
ALTER TABLE cogov_proposals ADD COLUMN courtyard_id BIGINT;
ALTER TABLE cogov_proposals ADD COLUMN courtyard_name TEXT NOT NULL DEFAULT '';
ALTER TABLE cogov_proposals ADD COLUMN courtyard_buildings TEXT NOT NULL DEFAULT '';
ALTER TABLE cogov_votes ADD COLUMN courtyard_id BIGINT;
ALTER TABLE cogov_votes ADD COLUMN courtyard_name TEXT NOT NULL DEFAULT '';
ALTER TABLE cogov_votes ADD COLUMN courtyard_buildings TEXT NOT NULL DEFAULT '';
ALTER TABLE cogov_meetings ADD COLUMN courtyard_id BIGINT;
ALTER TABLE cogov_meetings ADD COLUMN courtyard_name TEXT NOT NULL DEFAULT '';
ALTER TABLE cogov_meetings ADD COLUMN courtyard_buildings TEXT NOT NULL DEFAULT '';
ALTER TABLE cogov_projects ADD COLUMN courtyard_id BIGINT;
ALTER TABLE cogov_projects ADD COLUMN courtyard_name TEXT NOT NULL DEFAULT '';
ALTER TABLE cogov_projects ADD COLUMN courtyard_buildings TEXT NOT NULL DEFAULT '';

-- An election cancelled by staff before its vote opens (status
-- 'cancelled') keeps the reason everyone reads.
ALTER TABLE cogov_elections ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';

-- Co-owners of a flat (共有人) beside its owner of record: for owners'
-- decisions (民法典 art. 278) a flat's owners count once together, with its
-- floor area (建筑物区分所有权解释 art. 9: one exclusive part, one owner),
-- and any one of them casts its ballot.
CREATE TABLE cogov_household_owners (
    household_id BIGINT NOT NULL REFERENCES cogov_households (id),
    user_id      BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (household_id, user_id)
);

-- A paper ballot of an owners' vote carries the area written on it (the
-- owner's, as on the roll); 0 in other votes.
ALTER TABLE cogov_paper_ballots ADD COLUMN weight BIGINT NOT NULL DEFAULT 0;

-- A proposal staff merged into another (status 'merged'): the one it went
-- into. Its supporters and author support that one from then on.
ALTER TABLE cogov_proposals ADD COLUMN merged_into BIGINT;

-- Photos of a meeting published with its minutes (photo refs, JSON).
ALTER TABLE cogov_meetings ADD COLUMN photos TEXT NOT NULL DEFAULT '[]';
