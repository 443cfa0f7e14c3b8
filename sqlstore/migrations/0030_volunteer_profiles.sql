-- Volunteer profiles and registration (volunteer_profile.go): one per
-- person, approved or declined (with a reason) by the community's staff;
-- only approved volunteers claim requests. Skills, areas and training are
-- JSON arrays.
CREATE TABLE volunteer_profiles (
    user_id         BIGINT PRIMARY KEY REFERENCES users (id),
    name            TEXT NOT NULL,
    community       TEXT NOT NULL,
    skills          TEXT NOT NULL DEFAULT '[]',
    availability    TEXT NOT NULL DEFAULT '',
    areas           TEXT NOT NULL DEFAULT '[]',
    training        TEXT NOT NULL DEFAULT '[]',
    insurance_until TEXT NOT NULL DEFAULT '',
    publish_name    BOOLEAN NOT NULL DEFAULT FALSE,
    status          TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    decided_by_id   BIGINT,
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_at      BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX volunteer_profiles_community ON volunteer_profiles (community, status);

-- Whoever held a volunteer grant before registration existed counts as
-- approved, registered in the area of their first grant.
INSERT INTO volunteer_profiles (user_id, name, community, areas, status, reason, decided_by, decided_at, created_at, updated_at)
    SELECT g.user_id, u.name, MIN(g.area_code), '[]', 'approved', 'volunteer before registration existed', 'migration',
           MIN(g.created_at), MIN(g.created_at), MIN(g.created_at)
    FROM role_grants g JOIN users u ON u.id = g.user_id
    WHERE g.role = 'volunteer'
    GROUP BY g.user_id, u.name;

-- Volunteer teams (volunteer_team.go) of one community, led by a captain,
-- and their members: requested, then accepted by the captain or staff.
CREATE TABLE volunteer_teams (
    id         @ID_PK@,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    community  TEXT NOT NULL,
    captain_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    UNIQUE (community, name)
);
CREATE TABLE volunteer_team_members (
    team_id BIGINT NOT NULL REFERENCES volunteer_teams (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    name    TEXT NOT NULL,
    status  TEXT NOT NULL,
    at      BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX volunteer_team_members_user ON volunteer_team_members (user_id, status);

-- Volunteer service points (服务站/驿站) on the map.
CREATE TABLE volunteer_points (
    id         @ID_PK@,
    community  TEXT NOT NULL,
    name       TEXT NOT NULL,
    lat        DOUBLE PRECISION NOT NULL,
    lng        DOUBLE PRECISION NOT NULL,
    hours      TEXT NOT NULL,
    offers     TEXT NOT NULL,
    team_id    BIGINT REFERENCES volunteer_teams (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX volunteer_points_community ON volunteer_points (community);
