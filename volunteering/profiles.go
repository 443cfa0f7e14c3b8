package volunteering

import (
	"context"
	"strings"

	"github.com/civicgrid/civicgrid"
)

// Volunteer registration: anyone logged in registers (or changes) their
// own profile; the community's staff approve it or decline it with a
// reason; only an approved volunteer claims requests.

// Register writes the actor's own volunteer profile. A new registration,
// a declined one registered again or a move to another community waits for
// the staff of the community named; other changes keep an approval.
func (s *Service) Register(ctx context.Context, actor civicgrid.Actor, in civicgrid.ProfileInput) (civicgrid.VolunteerProfile, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionRegisterVolunteer, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return civicgrid.VolunteerProfile{}, err
	}
	p, err := in.Check(s.now())
	if err != nil {
		return p, err
	}
	a, err := s.areas.AreaByCode(ctx, p.Community)
	if err != nil || a.Level != civicgrid.LevelCommunity {
		if err == nil || civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			return p, civicgrid.Errorf(civicgrid.EINVALID, "no community %s in the area registry", p.Community)
		}
		return p, err
	}
	p.UserID, p.Name = actor.UserID, actor.Name
	return s.store.SaveVolunteerProfile(ctx, p, true)
}

// Profile returns the actor's own registration (ENOTFOUND when none).
func (s *Service) Profile(ctx context.Context, actor civicgrid.Actor) (civicgrid.VolunteerProfile, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionRegisterVolunteer, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return civicgrid.VolunteerProfile{}, err
	}
	p, err := s.store.VolunteerProfileOf(ctx, actor.UserID)
	if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
		return p, civicgrid.Errorf(civicgrid.ENOTFOUND, "you have not registered as a volunteer")
	}
	return p, err
}

// Registrations lists the registrations of the actor's (staff's)
// communities in a status (default pending).
func (s *Service) Registrations(ctx context.Context, actor civicgrid.Actor, status civicgrid.ProfileStatus) ([]civicgrid.VolunteerProfile, error) {
	switch status {
	case "":
		status = civicgrid.ProfilePending
	case civicgrid.ProfilePending, civicgrid.ProfileApproved, civicgrid.ProfileDeclined:
	default:
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "status must be pending, approved or declined")
	}
	out := []civicgrid.VolunteerProfile{}
	within := actor.Scopes(civicgrid.ActionApproveVolunteer)
	if len(within) == 0 {
		return out, nil
	}
	ps, err := s.store.VolunteerProfiles(ctx, within, []civicgrid.ProfileStatus{status}, ListLimit)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if civicgrid.Authorize(actor, civicgrid.ActionApproveVolunteer, p.Object()) == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// Decide approves a pending registration or declines it with a reason:
// the staff of its community, never one's own.
func (s *Service) Decide(ctx context.Context, actor civicgrid.Actor, userID int64, decision, reason string) (civicgrid.VolunteerProfile, error) {
	reason = strings.TrimSpace(reason)
	to := civicgrid.ProfileApproved
	switch decision {
	case DecisionAccept, "approve":
	case DecisionDecline:
		var err error
		if reason, err = reasonOf(reason, "declining a registration"); err != nil {
			return civicgrid.VolunteerProfile{}, err
		}
		to = civicgrid.ProfileDeclined
	default:
		return civicgrid.VolunteerProfile{}, civicgrid.Errorf(civicgrid.EINVALID, "decision must be approve or decline")
	}
	p, err := s.store.VolunteerProfileOf(ctx, userID)
	if err == nil {
		err = civicgrid.Authorize(actor, civicgrid.ActionApproveVolunteer, p.Object())
	}
	if err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EUNAUTHORIZED {
			return civicgrid.VolunteerProfile{}, err
		}
		return civicgrid.VolunteerProfile{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no volunteer registration of user %d", userID)
	}
	if userID == actor.UserID {
		return civicgrid.VolunteerProfile{}, civicgrid.Errorf(civicgrid.EFORBIDDEN, "volunteer.approve: one does not decide on one's own registration")
	}
	if p.Status != civicgrid.ProfilePending {
		return p, civicgrid.Errorf(civicgrid.ECONFLICT, "the registration of volunteer %d is %s: only a pending registration is approved or declined", userID, p.Status)
	}
	p, err = s.store.DecideVolunteerProfile(ctx, userID, to, reason, actor.UserID, actor.Label(), s.now())
	if err != nil || to != civicgrid.ProfileApproved {
		return p, err
	}
	return p, s.grantVolunteer(ctx, actor, p)
}

// Grants is what the service needs of identity: giving an approved
// volunteer the volunteer role, audited as identity audits every grant.
type Grants interface {
	AddGrant(ctx context.Context, g civicgrid.RoleGrant, ev civicgrid.SecurityEvent) (civicgrid.RoleGrant, error)
}

// grantVolunteer gives an approved volunteer the volunteer role over their
// registration's community (the grant says where they act), unless they
// hold it already.
func (s *Service) grantVolunteer(ctx context.Context, actor civicgrid.Actor, p civicgrid.VolunteerProfile) error {
	if s.cfg.Grants == nil {
		return nil
	}
	g := civicgrid.RoleGrant{UserID: p.UserID, Role: civicgrid.RoleVolunteer, AreaCode: p.Community, GrantedBy: actor.UserID}
	ev := civicgrid.SecurityEvent{At: s.now(), Kind: civicgrid.EventRoleGranted, Outcome: civicgrid.OutcomeOK, ActorID: actor.UserID,
		Actor: actor.Label(), AreaCode: p.Community, Detail: "volunteer@" + p.Community + ": volunteer registration approved"}
	if _, err := s.cfg.Grants.AddGrant(ctx, g, ev); err != nil && civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		return err
	}
	return nil
}

// approved refuses a claim by a volunteer whose registration is missing,
// pending or declined.
func (s *Service) approved(ctx context.Context, actor civicgrid.Actor) error {
	p, err := s.store.VolunteerProfileOf(ctx, actor.UserID)
	switch {
	case civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND:
		return civicgrid.Errorf(civicgrid.EFORBIDDEN, "only approved volunteers claim: register as a volunteer first, and the community's staff approve it")
	case err != nil:
		return err
	case p.Status == civicgrid.ProfilePending:
		return civicgrid.Errorf(civicgrid.EFORBIDDEN, "only approved volunteers claim: your registration waits for the community's staff")
	case p.Status == civicgrid.ProfileDeclined:
		return civicgrid.Errorf(civicgrid.EFORBIDDEN, "only approved volunteers claim: your registration was declined (%s)", p.Reason)
	}
	return nil
}

// Approved reports whether the actor's registration is approved (pages
// show "take it" only then).
func (s *Service) Approved(ctx context.Context, actor civicgrid.Actor) bool {
	return actor.UserID != 0 && s.approved(ctx, actor) == nil
}

// IDNumber returns a volunteer's registration with the full ID number to
// the staff of its community (volunteer.read_id); the caller logs the read
// (the server writes a personal_data.unmasked security event with the
// reason). Others: "not found", or 403 for someone who may see the
// registration but not the number.
func (s *Service) IDNumber(ctx context.Context, actor civicgrid.Actor, userID int64) (civicgrid.VolunteerProfile, error) {
	p, err := s.store.VolunteerProfileOf(ctx, userID)
	if err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			return p, civicgrid.Errorf(civicgrid.ENOTFOUND, "no volunteer registration of user %d", userID)
		}
		return p, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadVolunteerID, p.Object()); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EUNAUTHORIZED || civicgrid.Authorize(actor, civicgrid.ActionApproveVolunteer, p.Object()) == nil {
			return civicgrid.VolunteerProfile{}, err
		}
		return civicgrid.VolunteerProfile{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no volunteer registration of user %d", userID)
	}
	if p.IDNumber == "" {
		return civicgrid.VolunteerProfile{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "volunteer %d registered no ID number", userID)
	}
	return p, nil
}
