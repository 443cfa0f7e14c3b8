-- A lecture may name its speakers' team (a lecture team, 宣讲团, of the
-- volunteer module, checked through its service when the lecture is
-- posted). The team's name is kept as it was then: the lecture module
-- never reads the volunteer tables.
ALTER TABLE lectures ADD COLUMN team_id BIGINT;
ALTER TABLE lectures ADD COLUMN team_name TEXT NOT NULL DEFAULT '';
CREATE INDEX lectures_team_start ON lectures (team_id, starts_at);
