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
