package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Volunteer profiles and their approval (civicgrid.VolunteerProfileStore).

const profileColumns = `user_id, name, community, skills, availability, areas, training, insurance_until, publish_name, status, reason,
	decided_by_id, decided_by, decided_at, created_at, updated_at, gender, id_number, volunteer_no, outside_areas`

func scanProfile(sc rowScanner) (civicgrid.VolunteerProfile, error) {
	var p civicgrid.VolunteerProfile
	var skills, areas, training string
	var byID, at sql.NullInt64
	var created, updated int64
	var number sql.NullString
	err := sc.Scan(&p.UserID, &p.Name, &p.Community, &skills, &p.Availability, &areas, &training, &p.InsuranceUntil, &p.PublishName,
		&p.Status, &p.Reason, &byID, &p.DecidedBy, &at, &created, &updated, &p.Gender, &p.IDNumber, &number, &p.OutsideAreas)
	if err != nil {
		return p, err
	}
	p.VolunteerNo = number.String
	p.DecidedByID = byID.Int64
	if at.Valid {
		p.DecidedAt = time.UnixMilli(at.Int64)
	}
	p.CreatedAt, p.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	p.Skills, p.Areas, p.Training = []string{}, []string{}, []civicgrid.TrainingRecord{}
	for _, f := range []struct {
		s string
		v any
	}{{skills, &p.Skills}, {areas, &p.Areas}, {training, &p.Training}} {
		if err := json.Unmarshal([]byte(f.s), f.v); err != nil {
			return p, fmt.Errorf("volunteer profile %d: %w", p.UserID, err)
		}
	}
	if len(p.Areas) == 0 {
		p.Areas = []string{p.Community}
	}
	return p.Labelled(), nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// SaveVolunteerProfile writes a person's registration: a new one waits
// for staff; a change keeps an approval only when keepApproval is set and
// the community is unchanged.
func (db *DB) SaveVolunteerProfile(ctx context.Context, p civicgrid.VolunteerProfile, keepApproval bool) (civicgrid.VolunteerProfile, error) {
	if p.Skills == nil {
		p.Skills = []string{}
	}
	if p.Areas == nil {
		p.Areas = []string{}
	}
	if p.Training == nil {
		p.Training = []civicgrid.TrainingRecord{}
	}
	if p.Status == "" {
		p.Status = civicgrid.ProfilePending
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		if p.IDNumber != "" {
			var other int64
			err := tx.QueryRowContext(ctx, `SELECT user_id FROM volunteer_profiles WHERE id_number = $1 AND user_id <> $2`, p.IDNumber, p.UserID).Scan(&other)
			switch {
			case err == nil:
				return civicgrid.Errorf(civicgrid.ECONFLICT, "this ID number is registered by another volunteer: one registration per person")
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		old, err := scanProfile(tx.QueryRowContext(ctx, `SELECT `+profileColumns+` FROM volunteer_profiles WHERE user_id = $1`, p.UserID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			var decided any
			if !p.DecidedAt.IsZero() {
				decided = p.DecidedAt.UnixMilli()
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO volunteer_profiles (user_id, name, community, skills, availability, areas, training,
				insurance_until, publish_name, status, reason, decided_by_id, decided_by, decided_at, created_at, updated_at, gender, id_number, outside_areas)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17, $18)`,
				p.UserID, p.Name, p.Community, jsonText(p.Skills), p.Availability, jsonText(p.Areas), jsonText(p.Training),
				p.InsuranceUntil, p.PublishName, string(p.Status), p.Reason, nullID(p.DecidedByID), p.DecidedBy, decided, p.CreatedAt.UnixMilli(), p.Gender,
				p.IDNumber, p.OutsideAreas)
			return err
		case err != nil:
			return err
		}
		status, reason := civicgrid.ProfilePending, ""
		if keepApproval && old.Status == civicgrid.ProfileApproved && old.Community == p.Community {
			status = civicgrid.ProfileApproved
		}
		_, err = tx.ExecContext(ctx, `UPDATE volunteer_profiles SET name = $2, community = $3, skills = $4, availability = $5, areas = $6,
			training = $7, insurance_until = $8, publish_name = $9, status = $10, reason = $11, updated_at = $12, gender = $13,
			id_number = CASE WHEN $14 = '' THEN id_number ELSE $14 END, outside_areas = $15 WHERE user_id = $1`,
			p.UserID, p.Name, p.Community, jsonText(p.Skills), p.Availability, jsonText(p.Areas), jsonText(p.Training),
			p.InsuranceUntil, p.PublishName, string(status), reason, p.UpdatedAt.UnixMilli(), p.Gender, p.IDNumber, p.OutsideAreas)
		return err
	})
	if err != nil {
		return p, err
	}
	return db.VolunteerProfileOf(ctx, p.UserID)
}

// VolunteerProfileOf returns a person's registration.
func (db *DB) VolunteerProfileOf(ctx context.Context, userID int64) (civicgrid.VolunteerProfile, error) {
	return byID(ctx, db.rd, `SELECT `+profileColumns+` FROM volunteer_profiles WHERE user_id = $1`, userID, scanProfile, "volunteer registration of user")
}

// VolunteerProfiles lists registrations of communities in the subtrees.
func (db *DB) VolunteerProfiles(ctx context.Context, within []string, statuses []civicgrid.ProfileStatus, limit int) ([]civicgrid.VolunteerProfile, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT ` + profileColumns + ` FROM volunteer_profiles WHERE ` + scopeClause("community", within, arg)
	if len(statuses) > 0 {
		q += ` AND status IN (`
		for i, s := range statuses {
			if i > 0 {
				q += ", "
			}
			q += arg(string(s))
		}
		q += `)`
	}
	q += ` ORDER BY created_at, user_id LIMIT ` + arg(limit)
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanProfile)
}

// DecideVolunteerProfile approves or declines a pending registration with
// one conditional update; an approval of someone without a volunteer
// number gives them the next of the community's (volunteer_numbers, under
// its row's lock) in the same transaction.
func (db *DB) DecideVolunteerProfile(ctx context.Context, userID int64, to civicgrid.ProfileStatus, reason string, byID int64, byLabel string, at time.Time) (civicgrid.VolunteerProfile, error) {
	changed := false
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE volunteer_profiles SET status = $1, reason = $2, decided_by_id = $3, decided_by = $4,
			decided_at = $5, updated_at = $5 WHERE user_id = $6 AND status = $7`,
			string(to), reason, nullID(byID), byLabel, at.UnixMilli(), userID, string(civicgrid.ProfilePending))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		changed = true
		if to != civicgrid.ProfileApproved {
			return nil
		}
		var community string
		var number sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT community, volunteer_no FROM volunteer_profiles WHERE user_id = $1`, userID).Scan(&community, &number); err != nil {
			return err
		}
		if number.Valid {
			return nil // kept from the first approval
		}
		var serial int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO volunteer_numbers (community, last) VALUES ($1, 1)
			ON CONFLICT (community) DO UPDATE SET last = volunteer_numbers.last + 1 RETURNING last`, community).Scan(&serial); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE volunteer_profiles SET volunteer_no = $1 WHERE user_id = $2`, civicgrid.VolunteerNumber(community, serial), userID)
		return err
	})
	if err != nil {
		return civicgrid.VolunteerProfile{}, err
	}
	p, err := db.VolunteerProfileOf(ctx, userID)
	if err == nil && !changed {
		err = civicgrid.Errorf(civicgrid.ECONFLICT, "the registration of volunteer %d is %s: only a pending registration is approved or declined", userID, p.Status)
	}
	return p, err
}
