package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Co-governance projects and comments (civicgrid.ProjectStore). Every
// change takes the subject's row lock and appends its event to the
// subject's chain in cogov_events, in one transaction.

// projectCounts adds the milestone counts to a project's columns (p.):
// all, done, and found overdue while open.
const projectCounts = `, (SELECT COUNT(*) FROM cogov_milestones m WHERE m.project_id = p.id),
	(SELECT COUNT(*) FROM cogov_milestones m WHERE m.project_id = p.id AND m.done_at IS NOT NULL),
	(SELECT COUNT(*) FROM cogov_milestones m WHERE m.project_id = p.id AND m.done_at IS NULL AND m.overdue_at IS NOT NULL)`

func scanProject(sc rowScanner) (civicgrid.Project, error) {
	var (
		p                             civicgrid.Project
		proposal, owner, by           sql.NullInt64
		starts, created, updated      int64
		phase                         string
		milestones, done, overdueOpen int
	)
	var c courtyardCols
	err := sc.Scan(&p.ID, &p.AreaCode, &proposal, &p.Title, &p.Body, &p.Owner, &owner, &p.Budget, &phase, &starts, &by, &created, &updated,
		&p.Ratings, &p.RatingSum, &c.id, &c.name, &c.buildings, &p.SpentFen, &milestones, &done, &overdueOpen)
	p.CourtyardScope = c.scope()
	p.ProposalID, p.OwnerID, p.CreatedBy, p.Phase = proposal.Int64, owner.Int64, by.Int64, civicgrid.ProjectPhase(phase)
	p.StartsOn, p.CreatedAt, p.UpdatedAt = time.UnixMilli(starts), time.UnixMilli(created), time.UnixMilli(updated)
	p.MilestoneCount, p.Done, p.Overdue = milestones, done, overdueOpen
	return p, err
}

func selectProjects(where string) string {
	return `SELECT p.id, p.area_code, p.proposal_id, p.title, p.body, p.owner, p.owner_id, p.budget, p.phase, p.starts_on, p.created_by,
	p.created_at, p.updated_at, p.ratings, p.rating_sum, p.courtyard_id, p.courtyard_name, p.courtyard_buildings, p.spent_fen` + projectCounts + ` FROM cogov_projects p WHERE ` + where
}

// CreateProject stores a project, its milestones and its first event (and
// one on the proposal's chain when it starts from a proposal).
func (db *DB) CreateProject(ctx context.Context, p civicgrid.Project, ms []civicgrid.Milestone, ev civicgrid.CogovEvent) (civicgrid.Project, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		if p.ProposalID != 0 {
			if _, err := lockProposal(ctx, tx, p.ProposalID, ev.At); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO cogov_projects (area_code, proposal_id, title, body, owner, owner_id, budget, phase,
			starts_on, created_by, created_at, updated_at, `+courtyardColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14) RETURNING id`,
			p.AreaCode, nullID(p.ProposalID), p.Title, p.Body, p.Owner, nullID(p.OwnerID), p.Budget, string(p.Phase), p.StartsOn.UnixMilli(),
			nullID(p.CreatedBy), p.CreatedAt.UnixMilli(), nullID(p.CourtyardID), p.CourtyardName, civicgrid.JoinBuildings(p.Buildings)).Scan(&p.ID); err != nil {
			return err
		}
		ev.Subject = civicgrid.ProjectSubject(p.ID)
		ev.Data = map[string]string{"title": p.Title, "area": p.AreaCode, "owner": p.Owner, "budget": fmt.Sprint(p.Budget),
			"starts_on": fmt.Sprint(p.StartsOn.UnixMilli()), "proposal": fmt.Sprint(p.ProposalID)}
		courtyardData(&ev, p.CourtyardScope)
		if err := db.appendCogovEvent(ctx, tx, ev); err != nil {
			return err
		}
		for _, m := range ms {
			if err := insertMilestone(ctx, db, tx, p.ID, m, ev); err != nil {
				return err
			}
		}
		if p.ProposalID != 0 {
			return db.appendCogovEvent(ctx, tx, civicgrid.CogovEvent{Subject: civicgrid.ProposalSubject(p.ProposalID), At: ev.At, ActorID: ev.ActorID,
				Actor: ev.Actor, Action: civicgrid.CogovProjectFromProposal, Data: map[string]string{"project": fmt.Sprint(p.ID)}})
		}
		return nil
	})
	if err != nil {
		return civicgrid.Project{}, err
	}
	return db.ProjectByID(ctx, p.ID)
}

func insertMilestone(ctx context.Context, db *DB, tx *Tx, projectID int64, m civicgrid.Milestone, ev civicgrid.CogovEvent) error {
	if err := tx.QueryRowContext(ctx, `INSERT INTO cogov_milestones (project_id, title, due_at, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		projectID, m.Title, m.DueAt.UnixMilli(), ev.At.UnixMilli()).Scan(&m.ID); err != nil {
		return err
	}
	return db.appendCogovEvent(ctx, tx, civicgrid.CogovEvent{Subject: civicgrid.ProjectSubject(projectID), At: ev.At, ActorID: ev.ActorID,
		Actor: ev.Actor, Action: civicgrid.CogovMilestoneAdded, Data: map[string]string{"milestone": fmt.Sprint(m.ID), "title": m.Title,
			"due_at": fmt.Sprint(m.DueAt.UnixMilli())}})
}

// ProjectByID returns a project with its milestones in due order.
func (db *DB) ProjectByID(ctx context.Context, id int64) (civicgrid.Project, error) {
	return projectByID(ctx, db.rd, id)
}

func projectByID(ctx context.Context, q rowQuerier, id int64) (civicgrid.Project, error) {
	p, err := byID(ctx, q, selectProjects(`p.id = $1`), id, scanProject, "project")
	if err != nil {
		return p, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, project_id, title, due_at, created_at, done_at, overdue_at FROM cogov_milestones
		WHERE project_id = $1 ORDER BY due_at, id`, id)
	if err != nil {
		return p, err
	}
	p.Milestones, err = collect(rows, func(sc rowScanner) (civicgrid.Milestone, error) {
		var m civicgrid.Milestone
		var due, created int64
		var done, overdue sql.NullInt64
		err := sc.Scan(&m.ID, &m.ProjectID, &m.Title, &due, &created, &done, &overdue)
		m.DueAt, m.CreatedAt, m.DoneAt, m.OverdueAt = time.UnixMilli(due), time.UnixMilli(created), timeOrZero(done), timeOrZero(overdue)
		return m, err
	})
	return p, err
}

// lockProject takes the project's row lock and returns it as it is.
func lockProject(ctx context.Context, tx *Tx, id int64, at time.Time) (civicgrid.Project, error) {
	res, err := tx.ExecContext(ctx, `UPDATE cogov_projects SET updated_at = $1 WHERE id = $2`, at.UnixMilli(), id)
	if err != nil {
		return civicgrid.Project{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return civicgrid.Project{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no project %d", id)
	}
	return projectByID(ctx, tx, id)
}

// Projects lists projects in the subtrees or at the exact areas, newest first.
func (db *DB) Projects(ctx context.Context, within, exact []string, limit int) ([]civicgrid.Project, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := db.rd.QueryContext(ctx, selectProjects(scopeOrExact("p.area_code", within, exact, arg))+` ORDER BY p.id DESC LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanProject)
}

// NoticeProjects lists the projects of a notice board: in the area's
// subtree or at one of exact, newest first.
func (db *DB) NoticeProjects(ctx context.Context, area string, exact []string, limit int) ([]civicgrid.Project, error) {
	return db.Projects(ctx, []string{area}, exact, limit)
}

// ProposalProjects lists the projects started from a proposal.
func (db *DB) ProposalProjects(ctx context.Context, proposalID int64) ([]civicgrid.Project, error) {
	rows, err := db.rd.QueryContext(ctx, selectProjects(`p.proposal_id = $1`)+` ORDER BY p.id`, proposalID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanProject)
}

// AddMilestone adds a milestone to a project.
func (db *DB) AddMilestone(ctx context.Context, projectID int64, m civicgrid.Milestone, ev civicgrid.CogovEvent) (civicgrid.Project, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		p, err := lockProject(ctx, tx, projectID, ev.At)
		if err != nil {
			return err
		}
		if len(p.Milestones) >= civicgrid.MaxMilestones {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "project %d has %d milestones, the most it may have", projectID, civicgrid.MaxMilestones)
		}
		return insertMilestone(ctx, db, tx, projectID, m, ev)
	})
	if err != nil {
		return civicgrid.Project{}, err
	}
	return db.ProjectByID(ctx, projectID)
}

// CompleteMilestone marks a milestone done at ev.At, once.
func (db *DB) CompleteMilestone(ctx context.Context, projectID, milestoneID int64, ev civicgrid.CogovEvent) (civicgrid.Project, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		p, err := lockProject(ctx, tx, projectID, ev.At)
		if err != nil {
			return err
		}
		for _, m := range p.Milestones {
			if m.ID != milestoneID {
				continue
			}
			if !m.DoneAt.IsZero() {
				return civicgrid.Errorf(civicgrid.ECONFLICT, "milestone %d is done already", milestoneID)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE cogov_milestones SET done_at = $1 WHERE id = $2`, ev.At.UnixMilli(), milestoneID); err != nil {
				return err
			}
			ev.Subject = civicgrid.ProjectSubject(projectID)
			ev.Data = map[string]string{"milestone": fmt.Sprint(milestoneID), "title": m.Title, "on_time": fmt.Sprint(!ev.At.After(m.DueAt))}
			return db.appendCogovEvent(ctx, tx, ev)
		}
		return civicgrid.Errorf(civicgrid.ENOTFOUND, "project %d has no milestone %d", projectID, milestoneID)
	})
	if err != nil {
		return civicgrid.Project{}, err
	}
	return db.ProjectByID(ctx, projectID)
}

// AddProjectUpdate stores a progress report.
func (db *DB) AddProjectUpdate(ctx context.Context, u civicgrid.ProjectUpdate, ev civicgrid.CogovEvent) (civicgrid.ProjectUpdate, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		if _, err := lockProject(ctx, tx, u.ProjectID, ev.At); err != nil {
			return err
		}
		photos := strings.Join(u.Photos, " ")
		if err := tx.QueryRowContext(ctx, `INSERT INTO cogov_project_updates (project_id, at, author_id, author, body, photos)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, u.ProjectID, ev.At.UnixMilli(), nullID(ev.ActorID), u.Author, u.Text, photos).Scan(&u.ID); err != nil {
			return err
		}
		ev.Subject = civicgrid.ProjectSubject(u.ProjectID)
		ev.Note = u.Text
		ev.Data = map[string]string{"update": fmt.Sprint(u.ID), "photos": photos}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	u.At = time.UnixMilli(ev.At.UnixMilli())
	return u, err
}

// ProjectUpdates lists a project's progress reports, newest first.
func (db *DB) ProjectUpdates(ctx context.Context, projectID int64) ([]civicgrid.ProjectUpdate, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT id, project_id, at, author, body, photos FROM cogov_project_updates WHERE project_id = $1
		ORDER BY id DESC LIMIT 200`, projectID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (civicgrid.ProjectUpdate, error) {
		var u civicgrid.ProjectUpdate
		var at int64
		var photos string
		err := sc.Scan(&u.ID, &u.ProjectID, &at, &u.Author, &u.Text, &photos)
		u.At, u.Photos = time.UnixMilli(at), strings.Fields(photos)
		return u, err
	})
}

// SetProjectPhase moves a project to its next phase.
func (db *DB) SetProjectPhase(ctx context.Context, id int64, from, to civicgrid.ProjectPhase, ev civicgrid.CogovEvent) (civicgrid.Project, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		p, err := lockProject(ctx, tx, id, ev.At)
		if err != nil {
			return err
		}
		if p.Phase != from {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "project %d is in phase %s, not %s", id, p.Phase, from)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_projects SET phase = $1 WHERE id = $2`, string(to), id); err != nil {
			return err
		}
		ev.Subject = civicgrid.ProjectSubject(id)
		ev.Data = map[string]string{"from": string(from), "to": string(to)}
		if to == civicgrid.PhaseShare { // the evaluation's result, fixed in the chain
			ev.Data["ratings"], ev.Data["rating_sum"] = fmt.Sprint(p.Ratings), fmt.Sprint(p.RatingSum)
		}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Project{}, err
	}
	return db.ProjectByID(ctx, id)
}

// RateProject records one rating per person while the project is evaluated.
func (db *DB) RateProject(ctx context.Context, id, userID int64, rating int, ev civicgrid.CogovEvent) (civicgrid.Project, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		p, err := lockProject(ctx, tx, id, ev.At)
		if err != nil {
			return err
		}
		if p.Phase != civicgrid.PhaseEvaluate {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "project %d is in phase %s: residents rate it in its evaluation phase", id, p.Phase)
		}
		var one int
		switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM cogov_project_ratings WHERE project_id = $1 AND user_id = $2`, id, userID).Scan(&one); {
		case err == nil:
			return civicgrid.Errorf(civicgrid.ECONFLICT, "you rated project %d already", id)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO cogov_project_ratings (project_id, user_id, rating, at) VALUES ($1, $2, $3, $4)`,
			id, userID, rating, ev.At.UnixMilli()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_projects SET ratings = ratings + 1, rating_sum = rating_sum + $1 WHERE id = $2`, rating, id); err != nil {
			return err
		}
		ev.Subject = civicgrid.ProjectSubject(id)
		ev.Data = map[string]string{"rating": fmt.Sprint(rating), "ratings": fmt.Sprint(p.Ratings + 1), "rating_sum": fmt.Sprint(p.RatingSum + rating)}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Project{}, err
	}
	return db.ProjectByID(ctx, id)
}

// ProjectRating is the person's rating of the project (0: none).
func (db *DB) ProjectRating(ctx context.Context, id, userID int64) (int, error) {
	var r int
	err := db.rd.QueryRowContext(ctx, `SELECT rating FROM cogov_project_ratings WHERE project_id = $1 AND user_id = $2`, id, userID).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return r, err
}

// LinkCase links a case to a project, once.
func (db *DB) LinkCase(ctx context.Context, id, caseID int64, ev civicgrid.CogovEvent) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if _, err := lockProject(ctx, tx, id, ev.At); err != nil {
			return err
		}
		var one int
		switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM cogov_project_cases WHERE project_id = $1 AND case_id = $2`, id, caseID).Scan(&one); {
		case err == nil:
			return civicgrid.Errorf(civicgrid.ECONFLICT, "case %d is linked to project %d already", caseID, id)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO cogov_project_cases (project_id, case_id) VALUES ($1, $2)`, id, caseID); err != nil {
			return err
		}
		ev.Subject = civicgrid.ProjectSubject(id)
		ev.Data = map[string]string{"case": fmt.Sprint(caseID)}
		return db.appendCogovEvent(ctx, tx, ev)
	})
}

// ProjectCases lists the cases linked to a project.
func (db *DB) ProjectCases(ctx context.Context, id int64) ([]int64, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT case_id FROM cogov_project_cases WHERE project_id = $1 ORDER BY case_id`, id)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (c int64, err error) { return c, sc.Scan(&c) })
}

// CaseProjects lists the projects a case is linked to.
func (db *DB) CaseProjects(ctx context.Context, caseID int64) ([]civicgrid.Project, error) {
	rows, err := db.rd.QueryContext(ctx, selectProjects(`p.id IN (SELECT project_id FROM cogov_project_cases WHERE case_id = $1)`)+` ORDER BY p.id`, caseID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanProject)
}

// NextMilestoneDue is the earliest due time in the scheduler's index.
func (db *DB) NextMilestoneDue(ctx context.Context) (time.Time, error) {
	var due sql.NullInt64
	err := db.rd.QueryRowContext(ctx, `SELECT MIN(due_at) FROM cogov_milestones WHERE done_at IS NULL AND overdue_at IS NULL`).Scan(&due)
	return timeOrZero(due), err
}

// scanDueMilestone reads a milestone's id, project, title and due time, as
// the overdue marking and the reminders select them.
func scanDueMilestone(sc rowScanner) (civicgrid.Milestone, error) {
	var m civicgrid.Milestone
	var at int64
	err := sc.Scan(&m.ID, &m.ProjectID, &m.Title, &at)
	m.DueAt = time.UnixMilli(at)
	return m, err
}

// MarkOverdueMilestones marks open milestones due by now overdue, once each.
func (db *DB) MarkOverdueMilestones(ctx context.Context, now time.Time, limit int) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, project_id, title, due_at FROM cogov_milestones
			WHERE done_at IS NULL AND overdue_at IS NULL AND due_at <= $1 ORDER BY due_at, id LIMIT $2`, now.UnixMilli(), limit)
		if err != nil {
			return err
		}
		due, err := collect(rows, scanDueMilestone)
		if err != nil {
			return err
		}
		for _, m := range due {
			if _, err := lockProject(ctx, tx, m.ProjectID, now); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE cogov_milestones SET overdue_at = $1 WHERE id = $2 AND done_at IS NULL AND overdue_at IS NULL`,
				now.UnixMilli(), m.ID)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue // done or marked meanwhile
			}
			if err := db.appendCogovEvent(ctx, tx, civicgrid.CogovEvent{Subject: civicgrid.ProjectSubject(m.ProjectID), At: now, Actor: "system",
				Action: civicgrid.CogovMilestoneOverdue, Data: map[string]string{"milestone": fmt.Sprint(m.ID), "title": m.Title,
					"due_at": fmt.Sprint(m.DueAt.UnixMilli())}}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

const commentColumns = `id, subject, parent_id, author_id, author, body, at, hidden_reason`

func scanComment(sc rowScanner) (civicgrid.Comment, error) {
	var c civicgrid.Comment
	var parent sql.NullInt64
	var at int64
	err := sc.Scan(&c.ID, &c.Subject, &parent, &c.AuthorID, &c.Author, &c.Body, &at, &c.HiddenReason)
	c.ParentID, c.At, c.Hidden = parent.Int64, time.UnixMilli(at), c.HiddenReason != ""
	if c.Hidden {
		c.Body = ""
	}
	return c, err
}

// lockSubject takes the row lock of a comment's subject (a proposal or a
// project).
func lockSubject(ctx context.Context, tx *Tx, subject string, at time.Time) error {
	kind, id, _ := strings.Cut(subject, ":")
	var n int64
	if _, err := fmt.Sscan(id, &n); err != nil {
		return civicgrid.Errorf(civicgrid.EINVALID, "no subject %q", subject)
	}
	switch kind {
	case "proposal":
		_, err := lockProposal(ctx, tx, n, at)
		return err
	case "project":
		_, err := lockProject(ctx, tx, n, at)
		return err
	}
	return civicgrid.Errorf(civicgrid.EINVALID, "comments are on proposals and projects, not %q", subject)
}

// AddComment stores a comment within the person's rate limits.
func (db *DB) AddComment(ctx context.Context, c civicgrid.Comment, ev civicgrid.CogovEvent) (civicgrid.Comment, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := lockSubject(ctx, tx, c.Subject, ev.At); err != nil {
			return err
		}
		var minute, day int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(CASE WHEN at > $2 THEN 1 END), COUNT(*) FROM cogov_comments WHERE author_id = $1 AND at > $3`,
			c.AuthorID, ev.At.Add(-time.Minute).UnixMilli(), ev.At.Add(-24*time.Hour).UnixMilli()).Scan(&minute, &day); err != nil {
			return err
		}
		if minute >= civicgrid.CommentsPerMinute || day >= civicgrid.CommentsPerDay {
			return civicgrid.Errorf(civicgrid.ETHROTTLED, "at most %d comments a minute and %d a day: try again later",
				civicgrid.CommentsPerMinute, civicgrid.CommentsPerDay)
		}
		if c.ParentID != 0 {
			parent, err := byID(ctx, tx, `SELECT `+commentColumns+` FROM cogov_comments WHERE id = $1`, c.ParentID, scanComment, "comment")
			if err != nil {
				return civicgrid.Errorf(civicgrid.EINVALID, "no comment %d to reply to", c.ParentID)
			}
			if parent.Subject != c.Subject || parent.ParentID != 0 {
				return civicgrid.Errorf(civicgrid.EINVALID, "a reply answers a comment of the same page that is not itself a reply")
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO cogov_comments (subject, parent_id, author_id, author, body, at) VALUES ($1, $2, $3, $4, $5, $6)
			RETURNING id`, c.Subject, nullID(c.ParentID), c.AuthorID, c.Author, c.Body, ev.At.UnixMilli()).Scan(&c.ID); err != nil {
			return err
		}
		ev.Subject = c.Subject
		ev.Note = c.Body
		ev.Data = map[string]string{"comment": fmt.Sprint(c.ID), "parent": fmt.Sprint(c.ParentID)}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	c.At = time.UnixMilli(ev.At.UnixMilli())
	return c, err
}

// CommentByID returns one comment.
func (db *DB) CommentByID(ctx context.Context, id int64) (civicgrid.Comment, error) {
	return byID(ctx, db.rd, `SELECT `+commentColumns+` FROM cogov_comments WHERE id = $1`, id, scanComment, "comment")
}

// Comments lists a subject's comments, oldest first, replies under their
// parent.
func (db *DB) Comments(ctx context.Context, subject string) ([]civicgrid.Comment, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+commentColumns+` FROM cogov_comments WHERE subject = $1 ORDER BY id LIMIT 1000`, subject)
	if err != nil {
		return nil, err
	}
	all, err := collect(rows, scanComment)
	if err != nil {
		return nil, err
	}
	var out []civicgrid.Comment
	at := map[int64]int{}
	for _, c := range all {
		if c.ParentID == 0 {
			at[c.ID] = len(out)
			out = append(out, c)
		} else if i, ok := at[c.ParentID]; ok {
			out[i].Replies = append(out[i].Replies, c)
		}
	}
	return out, nil
}

// HideComment hides a comment with the moderator's reason, once.
func (db *DB) HideComment(ctx context.Context, id int64, reason string, ev civicgrid.CogovEvent) (civicgrid.Comment, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		c, err := byID(ctx, tx, `SELECT `+commentColumns+` FROM cogov_comments WHERE id = $1`, id, scanComment, "comment")
		if err != nil {
			return err
		}
		if err := lockSubject(ctx, tx, c.Subject, ev.At); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE cogov_comments SET hidden_reason = $1, hidden_by = $2 WHERE id = $3 AND hidden_reason = ''`,
			reason, nullID(ev.ActorID), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "comment %d is hidden already", id)
		}
		ev.Subject = c.Subject
		ev.Note = reason
		ev.Data = map[string]string{"comment": fmt.Sprint(id)}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Comment{}, err
	}
	return db.CommentByID(ctx, id)
}

// ProjectStats reads a scope's project indicators over [from, to): the
// projects started in its subtree, their milestones due in the period
// (done by their date or not), and the ratings of the projects started in
// the period. Indexed by cogov_projects_area_start and
// cogov_milestones_project.
func (db *DB) ProjectStats(ctx context.Context, area string, from, to time.Time) (civicgrid.ProjectStats, error) {
	st := civicgrid.ProjectStats{AreaCode: area}
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	scope := scopeClause("p.area_code", []string{area}, arg)
	f, t := arg(from.UnixMilli()), arg(to.UnixMilli())
	var sum sql.NullInt64
	if err := db.rd.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(p.ratings), 0), COALESCE(SUM(p.rating_sum), 0),
		COUNT(CASE WHEN p.ratings > 0 THEN 1 END) FROM cogov_projects p WHERE `+scope+` AND p.created_at >= `+f+` AND p.created_at < `+t,
		args...).Scan(&st.Projects, &st.Ratings, &sum, &st.RatedProjects); err != nil {
		return st, err
	}
	if st.Ratings > 0 {
		st.Satisfaction = float64(sum.Int64) / float64(st.Ratings)
	}
	if err := db.rd.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(CASE WHEN m.done_at IS NOT NULL AND m.done_at <= m.due_at THEN 1 END)
		FROM cogov_milestones m JOIN cogov_projects p ON p.id = m.project_id WHERE `+scope+` AND m.due_at >= `+f+` AND m.due_at < `+t,
		args...).Scan(&st.MilestonesDue, &st.OnTime); err != nil {
		return st, err
	}
	if st.MilestonesDue > 0 {
		st.OnTimeRate = float64(st.OnTime) / float64(st.MilestonesDue)
	}
	return st, nil
}
