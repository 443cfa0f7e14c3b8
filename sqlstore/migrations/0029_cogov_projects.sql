-- Co-governance projects (共建共管共评共享, project.go): the project, its
-- milestones (the open ones in a due-time index for the deadline
-- scheduler), progress updates with photos, one rating per resident, the
-- cases linked to it, and comments on proposals and projects. Events go on
-- the project's chain in cogov_events (subject project:ID).
CREATE TABLE cogov_projects (
    id          @ID_PK@,
    area_code   TEXT NOT NULL,
    proposal_id BIGINT REFERENCES cogov_proposals (id),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    owner       TEXT NOT NULL,
    owner_id    BIGINT REFERENCES users (id),
    budget      BIGINT NOT NULL,
    phase       TEXT NOT NULL,
    starts_on   BIGINT NOT NULL,
    created_by  BIGINT REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    ratings     INTEGER NOT NULL DEFAULT 0,
    rating_sum  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cogov_projects_area ON cogov_projects (area_code, id);
CREATE INDEX cogov_projects_proposal ON cogov_projects (proposal_id);
-- The indicators read projects by scope and start.
CREATE INDEX cogov_projects_area_start ON cogov_projects (area_code, created_at);

CREATE TABLE cogov_milestones (
    id         @ID_PK@,
    project_id BIGINT NOT NULL REFERENCES cogov_projects (id),
    title      TEXT NOT NULL,
    due_at     BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    done_at    BIGINT,
    overdue_at BIGINT
);
CREATE INDEX cogov_milestones_project ON cogov_milestones (project_id, due_at);
-- Open milestones not yet found overdue, by due time: the scheduler's index.
CREATE INDEX cogov_milestones_due ON cogov_milestones (due_at) WHERE done_at IS NULL AND overdue_at IS NULL;

CREATE TABLE cogov_project_updates (
    id         @ID_PK@,
    project_id BIGINT NOT NULL REFERENCES cogov_projects (id),
    at         BIGINT NOT NULL,
    author_id  BIGINT REFERENCES users (id),
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    photos     TEXT NOT NULL DEFAULT '' -- photo refs, space separated
);
CREATE INDEX cogov_project_updates_project ON cogov_project_updates (project_id, id);

-- One rating per person and project (the key refuses a second).
CREATE TABLE cogov_project_ratings (
    project_id BIGINT NOT NULL REFERENCES cogov_projects (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    rating     INTEGER NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);

CREATE TABLE cogov_project_cases (
    project_id BIGINT NOT NULL REFERENCES cogov_projects (id),
    case_id    BIGINT NOT NULL,
    PRIMARY KEY (project_id, case_id)
);
CREATE INDEX cogov_project_cases_case ON cogov_project_cases (case_id);

CREATE TABLE cogov_comments (
    id            @ID_PK@,
    subject       TEXT NOT NULL, -- proposal:ID or project:ID
    parent_id     BIGINT REFERENCES cogov_comments (id),
    author_id     BIGINT NOT NULL REFERENCES users (id),
    author        TEXT NOT NULL,
    body          TEXT NOT NULL,
    at            BIGINT NOT NULL,
    hidden_reason TEXT NOT NULL DEFAULT '',
    hidden_by     BIGINT REFERENCES users (id)
);
CREATE INDEX cogov_comments_subject ON cogov_comments (subject, id);
-- The rate limit counts a person's recent comments.
CREATE INDEX cogov_comments_author ON cogov_comments (author_id, at);
