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
