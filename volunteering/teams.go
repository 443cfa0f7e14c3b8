package volunteering

import (
	"context"

	"github.com/civicgrid/civicgrid"
)

// Teams (志愿服务队): staff form a team of their community and name its
// captain, an approved volunteer registered there; approved volunteers of
// the community ask to join and the captain or staff accept them.
//
// Other modules use teams through TeamMembers and TeamsOf (a notice's
// audience, a lecture's attendance per team): plain reads of accepted
// members, with no access decision — the caller decides what it shows.

// FormTeam creates a team with its captain as first member.
func (s *Service) FormTeam(ctx context.Context, actor civicgrid.Actor, in civicgrid.TeamInput) (civicgrid.Team, error) {
	t, err := in.Check(s.now())
	if err != nil {
		return t, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageTeams, civicgrid.In(t.Community)); err != nil {
		return t, err
	}
	p, err := s.store.VolunteerProfileOf(ctx, t.CaptainID)
	if err != nil || p.Status != civicgrid.ProfileApproved || p.Community != t.Community {
		if err != nil && civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
			return t, err
		}
		return t, civicgrid.Errorf(civicgrid.EINVALID, "the captain is an approved volunteer registered in community %s", t.Community)
	}
	return s.store.CreateTeam(ctx, t, p.Label)
}

// Teams lists the teams of an area (anyone logged in; names masked without
// consent).
func (s *Service) Teams(ctx context.Context, actor civicgrid.Actor, area string) ([]civicgrid.Team, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadTeams, civicgrid.In(area)); err != nil {
		return nil, err
	}
	if civicgrid.LevelOfCode(area) == "" {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "area must be an area code")
	}
	return s.store.Teams(ctx, []string{area}, ListLimit)
}

// TeamView is a team with its members; requests waiting are shown only to
// whoever may accept them.
type TeamView struct {
	civicgrid.Team
	Roster    []civicgrid.TeamMember `json:"roster"` // members, and requests for whoever may accept them
	CanAccept bool                   `json:"can_accept"`
}

// Team returns a team with its members.
func (s *Service) Team(ctx context.Context, actor civicgrid.Actor, id int64) (TeamView, error) {
	t, err := s.store.TeamByID(ctx, id)
	if err != nil {
		return TeamView{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadTeams, t.Object()); err != nil {
		return TeamView{}, err
	}
	ms, err := s.store.TeamMembers(ctx, id)
	if err != nil {
		return TeamView{}, err
	}
	v := TeamView{Team: t, Roster: []civicgrid.TeamMember{}, CanAccept: civicgrid.Authorize(actor, civicgrid.ActionLeadTeam, t.Object()) == nil}
	for _, m := range ms {
		if m.Status == civicgrid.MemberAccepted || v.CanAccept || m.UserID == actor.UserID {
			v.Roster = append(v.Roster, m)
		}
	}
	return v, nil
}

// Join asks to join a team: an approved volunteer registered in the
// team's community.
func (s *Service) Join(ctx context.Context, actor civicgrid.Actor, id int64) (TeamView, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionRegisterVolunteer, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return TeamView{}, err
	}
	t, err := s.store.TeamByID(ctx, id)
	if err != nil {
		return TeamView{}, err
	}
	p, err := s.store.VolunteerProfileOf(ctx, actor.UserID)
	if err != nil || p.Status != civicgrid.ProfileApproved || p.Community != t.Community {
		if err != nil && civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
			return TeamView{}, err
		}
		return TeamView{}, civicgrid.Errorf(civicgrid.EFORBIDDEN, "a team takes approved volunteers registered in its community (%s)", t.Community)
	}
	if err := s.store.RequestTeamMembership(ctx, civicgrid.TeamMember{TeamID: id, UserID: actor.UserID, Name: p.Label, At: s.now()}); err != nil {
		return TeamView{}, err
	}
	return s.Team(ctx, actor, id)
}

// Accept takes a person who asked into the team: its captain or staff.
func (s *Service) Accept(ctx context.Context, actor civicgrid.Actor, id, userID int64) (TeamView, error) {
	t, err := s.store.TeamByID(ctx, id)
	if err != nil {
		return TeamView{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionLeadTeam, t.Object()); err != nil {
		return TeamView{}, err
	}
	if err := s.store.AcceptTeamMember(ctx, id, userID, s.now()); err != nil {
		return TeamView{}, err
	}
	return s.Team(ctx, actor, id)
}

// TeamMembers returns the user ids of a team's accepted members, the
// captain first (for other modules: a notice's audience, a lecture's
// attendance per team).
func (s *Service) TeamMembers(ctx context.Context, teamID int64) ([]int64, error) {
	ms, err := s.store.TeamMembers(ctx, teamID)
	if err != nil {
		return nil, err
	}
	out := []int64{}
	for _, m := range ms {
		if m.Status == civicgrid.MemberAccepted {
			out = append(out, m.UserID)
		}
	}
	return out, nil
}

// TeamsOf returns the teams a person belongs to (accepted), for other
// modules.
func (s *Service) TeamsOf(ctx context.Context, userID int64) ([]civicgrid.Team, error) {
	return s.store.TeamsOf(ctx, userID)
}

// AddServicePoint records a service point (服务站/驿站): the community's staff.
func (s *Service) AddServicePoint(ctx context.Context, actor civicgrid.Actor, in civicgrid.ServicePointInput) (civicgrid.ServicePoint, error) {
	p, err := in.Check(s.now())
	if err != nil {
		return p, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageTeams, civicgrid.In(p.Community)); err != nil {
		return p, err
	}
	if a, err := s.areas.AreaByCode(ctx, p.Community); err != nil || a.Level != civicgrid.LevelCommunity {
		if err == nil || civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			return p, civicgrid.Errorf(civicgrid.EINVALID, "no community %s in the area registry", p.Community)
		}
		return p, err
	}
	return s.store.CreateServicePoint(ctx, p)
}

// ServicePoints lists the service points of an area (anyone logged in),
// for the map.
func (s *Service) ServicePoints(ctx context.Context, actor civicgrid.Actor, area string) ([]civicgrid.ServicePoint, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadTeams, civicgrid.In(area)); err != nil {
		return nil, err
	}
	if civicgrid.LevelOfCode(area) == "" {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "area must be an area code")
	}
	ps, err := s.store.ServicePoints(ctx, []string{area}, MaxCount)
	if ps == nil {
		ps = []civicgrid.ServicePoint{}
	}
	return ps, err
}

// Leave ends the actor's own membership of a team (or withdraws their
// request to join). The captain does not leave: the community's staff
// name another captain first (409).
func (s *Service) Leave(ctx context.Context, actor civicgrid.Actor, id int64) (TeamView, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionRegisterVolunteer, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return TeamView{}, err
	}
	t, err := s.store.TeamByID(ctx, id)
	if err != nil {
		return TeamView{}, err
	}
	if t.CaptainID == actor.UserID {
		return TeamView{}, civicgrid.Errorf(civicgrid.ECONFLICT, "the captain does not leave team %d: the community's staff name another captain first", id)
	}
	if err := s.store.LeaveTeam(ctx, id, actor.UserID); err != nil {
		return TeamView{}, err
	}
	return s.Team(ctx, actor, id)
}

// ChangeCaptain names another captain: the community's staff
// (volunteer.teams), among the team's accepted members who are approved
// volunteers of its community.
func (s *Service) ChangeCaptain(ctx context.Context, actor civicgrid.Actor, id, userID int64) (TeamView, error) {
	t, err := s.store.TeamByID(ctx, id)
	if err != nil {
		return TeamView{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageTeams, t.Object()); err != nil {
		return TeamView{}, err
	}
	if userID == t.CaptainID {
		return TeamView{}, civicgrid.Errorf(civicgrid.EINVALID, "user %d already captains team %d", userID, id)
	}
	p, err := s.store.VolunteerProfileOf(ctx, userID)
	if err != nil || p.Status != civicgrid.ProfileApproved || p.Community != t.Community {
		if err != nil && civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
			return TeamView{}, err
		}
		return TeamView{}, civicgrid.Errorf(civicgrid.EINVALID, "a captain is an approved volunteer registered in the team's community (%s)", t.Community)
	}
	if err := s.store.ChangeCaptain(ctx, id, t.CaptainID, userID); err != nil {
		return TeamView{}, err
	}
	return s.Team(ctx, actor, id)
}
