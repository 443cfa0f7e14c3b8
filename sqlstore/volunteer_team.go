package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Volunteer teams and their members (civicgrid.TeamStore).

const teamColumns = `t.id, t.kind, t.name, t.community, t.captain_id, COALESCE(c.name, ''), t.created_at,
	(SELECT COUNT(*) FROM volunteer_team_members m WHERE m.team_id = t.id AND m.status = 'member')`

const teamFrom = ` FROM volunteer_teams t LEFT JOIN volunteer_team_members c ON c.team_id = t.id AND c.user_id = t.captain_id`

func scanTeam(sc rowScanner) (civicgrid.Team, error) {
	var t civicgrid.Team
	var created int64
	err := sc.Scan(&t.ID, &t.Kind, &t.Name, &t.Community, &t.CaptainID, &t.Captain, &created, &t.Members)
	t.CreatedAt = time.UnixMilli(created)
	return t, err
}

// CreateTeam stores a team with its captain as its first member; a second
// team of the same name in a community is ECONFLICT.
func (db *DB) CreateTeam(ctx context.Context, t civicgrid.Team, captainLabel string) (civicgrid.Team, error) {
	err := db.inTx(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO volunteer_teams (kind, name, community, captain_id, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT DO NOTHING RETURNING id`, t.Kind, t.Name, t.Community, t.CaptainID, t.CreatedAt.UnixMilli()).Scan(&t.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "community %s already has a team named %s", t.Community, t.Name)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO volunteer_team_members (team_id, user_id, name, status, at) VALUES ($1, $2, $3, $4, $5)`,
			t.ID, t.CaptainID, captainLabel, civicgrid.MemberAccepted, t.CreatedAt.UnixMilli())
		return err
	})
	if err != nil {
		return t, err
	}
	return db.TeamByID(ctx, t.ID)
}

// TeamByID returns one team.
func (db *DB) TeamByID(ctx context.Context, id int64) (civicgrid.Team, error) {
	return byID(ctx, db.rd, `SELECT `+teamColumns+teamFrom+` WHERE t.id = $1`, id, scanTeam, "volunteer team")
}

// Teams lists teams of communities in the subtrees, by name.
func (db *DB) Teams(ctx context.Context, within []string, limit int) ([]civicgrid.Team, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := db.rd.QueryContext(ctx, `SELECT `+teamColumns+teamFrom+` WHERE `+scopeClause("t.community", within, arg)+
		` ORDER BY t.community, t.name LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanTeam)
}

// RequestTeamMembership records a request to join.
func (db *DB) RequestTeamMembership(ctx context.Context, m civicgrid.TeamMember) error {
	res, err := db.wr.ExecContext(ctx, `INSERT INTO volunteer_team_members (team_id, user_id, name, status, at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, m.TeamID, m.UserID, m.Name, civicgrid.MemberRequested, m.At.UnixMilli())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return civicgrid.Errorf(civicgrid.ECONFLICT, "you already asked to join team %d, or belong to it", m.TeamID)
	}
	return nil
}

// AcceptTeamMember turns a waiting request into a membership.
func (db *DB) AcceptTeamMember(ctx context.Context, teamID, userID int64, at time.Time) error {
	res, err := db.wr.ExecContext(ctx, `UPDATE volunteer_team_members SET status = $1, at = $2 WHERE team_id = $3 AND user_id = $4 AND status = $5`,
		civicgrid.MemberAccepted, at.UnixMilli(), teamID, userID, civicgrid.MemberRequested)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return civicgrid.Errorf(civicgrid.ECONFLICT, "user %d has no request waiting to join team %d", userID, teamID)
	}
	return nil
}

// LeaveTeam ends a membership or a request to join, never the captain's.
func (db *DB) LeaveTeam(ctx context.Context, teamID, userID int64) error {
	res, err := db.wr.ExecContext(ctx, `DELETE FROM volunteer_team_members WHERE team_id = $1 AND user_id = $2
		AND user_id <> (SELECT captain_id FROM volunteer_teams WHERE id = $1)`, teamID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return civicgrid.Errorf(civicgrid.ECONFLICT, "user %d is not a member of team %d, or is its captain (the community's staff name another captain first)", userID, teamID)
	}
	return nil
}

// ChangeCaptain names an accepted member captain if the captain is still
// from.
func (db *DB) ChangeCaptain(ctx context.Context, teamID, from, to int64) error {
	res, err := db.wr.ExecContext(ctx, `UPDATE volunteer_teams SET captain_id = $1 WHERE id = $2 AND captain_id = $3
		AND EXISTS (SELECT 1 FROM volunteer_team_members WHERE team_id = $2 AND user_id = $1 AND status = $4)`,
		to, teamID, from, civicgrid.MemberAccepted)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return civicgrid.Errorf(civicgrid.ECONFLICT, "team %d: the captain changed meanwhile, or user %d is not an accepted member", teamID, to)
	}
	return nil
}

// TeamMembers lists a team's members and requests, captain first.
func (db *DB) TeamMembers(ctx context.Context, teamID int64) ([]civicgrid.TeamMember, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT m.team_id, m.user_id, m.name, m.status, m.user_id = t.captain_id, m.at
		FROM volunteer_team_members m JOIN volunteer_teams t ON t.id = m.team_id WHERE m.team_id = $1
		ORDER BY m.user_id = t.captain_id DESC, m.status, m.at, m.user_id`, teamID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (civicgrid.TeamMember, error) {
		var m civicgrid.TeamMember
		var at int64
		err := sc.Scan(&m.TeamID, &m.UserID, &m.Name, &m.Status, &m.Captain, &at)
		m.At = time.UnixMilli(at)
		return m, err
	})
}

// TeamsOf lists the teams a person belongs to.
func (db *DB) TeamsOf(ctx context.Context, userID int64) ([]civicgrid.Team, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+teamColumns+teamFrom+` WHERE t.id IN (SELECT team_id FROM volunteer_team_members
		WHERE user_id = $1 AND status = $2) ORDER BY t.name`, userID, civicgrid.MemberAccepted)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanTeam)
}

// CreateServicePoint stores a service point.
func (db *DB) CreateServicePoint(ctx context.Context, p civicgrid.ServicePoint) (civicgrid.ServicePoint, error) {
	err := db.wr.QueryRowContext(ctx, `INSERT INTO volunteer_points (community, name, lat, lng, hours, offers, team_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, p.Community, p.Name, p.Lat, p.Lng, p.Hours, p.Offers, nullID(p.TeamID),
		p.CreatedAt.UnixMilli()).Scan(&p.ID)
	return p, err
}

// ServicePoints lists points of communities in the subtrees.
func (db *DB) ServicePoints(ctx context.Context, within []string, limit int) ([]civicgrid.ServicePoint, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := db.rd.QueryContext(ctx, `SELECT id, community, name, lat, lng, hours, offers, team_id, created_at FROM volunteer_points
		WHERE `+scopeClause("community", within, arg)+` ORDER BY id LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc rowScanner) (civicgrid.ServicePoint, error) {
		var p civicgrid.ServicePoint
		var team sql.NullInt64
		var created int64
		err := sc.Scan(&p.ID, &p.Community, &p.Name, &p.Lat, &p.Lng, &p.Hours, &p.Offers, &team, &created)
		p.TeamID, p.CreatedAt = team.Int64, time.UnixMilli(created)
		return p, err
	})
}
