-- Co-governance (docs/cogovernance.md). Meetings: documents (PDF files
-- kept with the photos, by their content's hash: a JSON list of
-- {"ref","name","bytes"}, '' for none), the reason of a cancellation, and
-- people invited by name beside the roles (on the roll, marked named);
-- the roll is read by person for "meetings I am invited to", and the
-- board reads published minutes by when they were published.
ALTER TABLE cogov_meetings ADD COLUMN documents TEXT NOT NULL DEFAULT '';
ALTER TABLE cogov_meetings ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE cogov_meeting_roll ADD COLUMN named BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX cogov_meeting_roll_user ON cogov_meeting_roll (user_id, meeting_id);

-- Elections: a by-election (补选) names the election whose empty seats it
-- fills.
ALTER TABLE cogov_elections ADD COLUMN by_election_of BIGINT REFERENCES cogov_elections (id);
CREATE INDEX cogov_elections_by ON cogov_elections (by_election_of);

-- Projects: spending against the budget (amounts in fen, hundredths of a
-- yuan), the running total kept on the project in the same transaction as
-- each entry; milestones reminded once before they are due (the
-- scheduler's index: open milestones neither reminded nor overdue).
ALTER TABLE cogov_projects ADD COLUMN spent_fen BIGINT NOT NULL DEFAULT 0;
CREATE TABLE cogov_spending (
    id          @ID_PK@,
    project_id  BIGINT NOT NULL REFERENCES cogov_projects (id),
    amount_fen  BIGINT NOT NULL,
    spent_on    BIGINT NOT NULL,
    purpose     TEXT NOT NULL,
    receipt     TEXT NOT NULL DEFAULT '',
    over_reason TEXT NOT NULL DEFAULT '',
    author      TEXT NOT NULL,
    created_by  BIGINT REFERENCES users (id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX cogov_spending_project ON cogov_spending (project_id, spent_on, id);
ALTER TABLE cogov_milestones ADD COLUMN reminded_at BIGINT;
CREATE INDEX cogov_milestones_remind ON cogov_milestones (due_at) WHERE done_at IS NULL AND overdue_at IS NULL AND reminded_at IS NULL;

-- Proposals: a support carried over by a merge names the proposal it came
-- from, so that undoing the merge returns it (supports of before this
-- migration carry none: their merges are not undone).
ALTER TABLE cogov_supports ADD COLUMN via_merge BIGINT;
