-- Co-governance meetings (议事会, cogovernance.go): the meeting, its agenda
-- of proposals with the decision on each, and the roll of invited people
-- frozen when it is scheduled, with who signed in. Events go on the
-- meeting's chain in cogov_events (subject meeting:ID).
CREATE TABLE cogov_meetings (
    id            @ID_PK@,
    area_code     TEXT NOT NULL,
    title         TEXT NOT NULL,
    place         TEXT NOT NULL,
    starts_at     BIGINT NOT NULL,
    status        TEXT NOT NULL,
    invited_roles TEXT NOT NULL, -- JSON array
    invited       INTEGER NOT NULL DEFAULT 0,
    attended      INTEGER NOT NULL DEFAULT 0,
    code          TEXT NOT NULL,
    minutes       TEXT NOT NULL DEFAULT '',
    quorum_met    BOOLEAN NOT NULL DEFAULT FALSE,
    rule          TEXT NOT NULL,
    created_by    BIGINT REFERENCES users (id),
    published_at  BIGINT
);
CREATE INDEX cogov_meetings_area ON cogov_meetings (area_code, id);

CREATE TABLE cogov_meeting_items (
    meeting_id  BIGINT NOT NULL REFERENCES cogov_meetings (id),
    position    INTEGER NOT NULL,
    proposal_id BIGINT NOT NULL REFERENCES cogov_proposals (id),
    title       TEXT NOT NULL,
    decision    TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (meeting_id, position),
    UNIQUE (meeting_id, proposal_id)
);
CREATE INDEX cogov_meeting_items_proposal ON cogov_meeting_items (proposal_id);

CREATE TABLE cogov_meeting_roll (
    meeting_id BIGINT NOT NULL REFERENCES cogov_meetings (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    attended   BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (meeting_id, user_id)
);
