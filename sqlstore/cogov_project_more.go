package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Projects beyond their start (project_spending.go): spending against the
// budget, edits with a reason, reminders before milestones are due.

// AddSpending stores an entry and the project's new total, under the
// project's lock; past the budget it needs its reason.
func (db *DB) AddSpending(ctx context.Context, sp civicgrid.Spending, ev civicgrid.CogovEvent) (civicgrid.Spending, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		p, err := lockProject(ctx, tx, sp.ProjectID, ev.At)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cogov_spending WHERE project_id = $1`, p.ID).Scan(&n); err != nil {
			return err
		}
		if n >= civicgrid.MaxSpendingEntries {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "project %d has %d spending entries: at most %d", p.ID, n, civicgrid.MaxSpendingEntries)
		}
		total := p.SpentFen + sp.AmountFen
		over := total > p.Budget*100
		if over && sp.OverReason == "" {
			return &civicgrid.Error{Code: civicgrid.EINVALID, Message: fmt.Sprintf("this entry takes the spending to %s yuan, past the budget of %s yuan: say why (over_reason)",
				civicgrid.FormatYuan(total), civicgrid.FormatYuan(p.Budget*100)), Problems: []civicgrid.Problem{{Index: -1, Kind: "over_reason",
				Detail: "spending past the budget needs a reason everyone reads"}}}
		}
		if !over {
			sp.OverReason = "" // a reason is for spending past the budget
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO cogov_spending (project_id, amount_fen, spent_on, purpose, receipt, over_reason, author, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, p.ID, sp.AmountFen, sp.SpentOn.UnixMilli(), sp.Purpose, sp.Receipt, sp.OverReason,
			sp.Author, nullID(sp.CreatedBy), ev.At.UnixMilli()).Scan(&sp.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_projects SET spent_fen = $1 WHERE id = $2`, total, p.ID); err != nil {
			return err
		}
		sp.CreatedAt = ev.At
		ev.Subject, ev.Note = civicgrid.ProjectSubject(p.ID), sp.OverReason
		ev.Data = map[string]string{"spending": fmt.Sprint(sp.ID), "amount_fen": fmt.Sprint(sp.AmountFen), "spent_on": sp.SpentOn.Format(time.DateOnly),
			"purpose": sp.Purpose, "receipt": sp.Receipt, "total_fen": fmt.Sprint(total)}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Spending{}, err
	}
	return sp, nil
}

// ProjectSpending lists a project's entries by day, then entry.
func (db *DB) ProjectSpending(ctx context.Context, id int64) ([]civicgrid.Spending, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT id, project_id, amount_fen, spent_on, purpose, receipt, over_reason, author, created_by, created_at
		FROM cogov_spending WHERE project_id = $1 ORDER BY spent_on, id`, id)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (civicgrid.Spending, error) {
		var sp civicgrid.Spending
		var on, at int64
		var by sql.NullInt64
		err := sc.Scan(&sp.ID, &sp.ProjectID, &sp.AmountFen, &on, &sp.Purpose, &sp.Receipt, &sp.OverReason, &sp.Author, &by, &at)
		sp.SpentOn, sp.CreatedAt, sp.CreatedBy = time.UnixMilli(on), time.UnixMilli(at), by.Int64
		return sp, err
	})
}

// EditProject stores a project's new title, owner and start with the old
// and new values in its history.
func (db *DB) EditProject(ctx context.Context, p civicgrid.Project, ev civicgrid.CogovEvent) (civicgrid.Project, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		old, err := lockProject(ctx, tx, p.ID, ev.At)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cogov_projects SET title = $1, owner = $2, owner_id = $3, starts_on = $4 WHERE id = $5`,
			p.Title, p.Owner, nullID(p.OwnerID), p.StartsOn.UnixMilli(), p.ID); err != nil {
			return err
		}
		ev.Subject = civicgrid.ProjectSubject(p.ID)
		ev.Data = map[string]string{}
		if old.Title != p.Title {
			ev.Data["title"], ev.Data["was_title"] = p.Title, old.Title
		}
		if old.Owner != p.Owner || old.OwnerID != p.OwnerID {
			ev.Data["owner"], ev.Data["was_owner"] = p.Owner, old.Owner
		}
		if !old.StartsOn.Equal(p.StartsOn) {
			ev.Data["starts_on"], ev.Data["was_starts_on"] = fmt.Sprint(p.StartsOn.UnixMilli()), fmt.Sprint(old.StartsOn.UnixMilli())
		}
		return db.appendCogovEvent(ctx, tx, ev)
	})
	if err != nil {
		return civicgrid.Project{}, err
	}
	return db.ProjectByID(ctx, p.ID)
}

// NextMilestoneReminder is the earliest due time of an open milestone not
// yet reminded nor found overdue.
func (db *DB) NextMilestoneReminder(ctx context.Context) (time.Time, error) {
	var due sql.NullInt64
	err := db.rd.QueryRowContext(ctx, `SELECT MIN(due_at) FROM cogov_milestones WHERE done_at IS NULL AND overdue_at IS NULL AND reminded_at IS NULL`).Scan(&due)
	return timeOrZero(due), err
}

// RemindMilestones marks open milestones due within before of now
// reminded, once each, with a project.milestone_due_soon event.
func (db *DB) RemindMilestones(ctx context.Context, now time.Time, before time.Duration, limit int) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, project_id, title, due_at FROM cogov_milestones
			WHERE done_at IS NULL AND overdue_at IS NULL AND reminded_at IS NULL AND due_at <= $1 AND due_at > $2 ORDER BY due_at, id LIMIT $3`,
			now.Add(before).UnixMilli(), now.UnixMilli(), limit)
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
			res, err := tx.ExecContext(ctx, `UPDATE cogov_milestones SET reminded_at = $1 WHERE id = $2 AND done_at IS NULL AND reminded_at IS NULL`,
				now.UnixMilli(), m.ID)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue
			}
			if err := db.appendCogovEvent(ctx, tx, civicgrid.CogovEvent{Subject: civicgrid.ProjectSubject(m.ProjectID), At: now, Actor: "system",
				Action: civicgrid.CogovMilestoneDueSoon, Data: map[string]string{"milestone": fmt.Sprint(m.ID), "title": m.Title,
					"due_at": fmt.Sprint(m.DueAt.UnixMilli())}}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
