package volunteering

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
)

// Invitations: the community's staff invite an approved volunteer whose
// area covers an open request; the volunteer sees the invitation and
// accepts it — which claims the request through the same exactly-once
// claim, in one transaction with the invitation — or declines it. Nobody
// is assigned by force (志愿服务条例 art. 25): an invitation changes
// nothing until its volunteer accepts it.

// Invitation is an open invitation with the request as its volunteer may
// see it.
type Invitation struct {
	civicgrid.HelpInvitation
	Request View `json:"request"`
}

// Invite invites the volunteer userID to the open request id.
func (s *Service) Invite(ctx context.Context, actor civicgrid.Actor, id, userID int64) (civicgrid.HelpInvitation, error) {
	r, err := s.readable(ctx, actor, id)
	if err != nil {
		return civicgrid.HelpInvitation{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionInviteHelp, r.Object()); err != nil {
		return civicgrid.HelpInvitation{}, err
	}
	if r.Status != civicgrid.HelpAccepted {
		return civicgrid.HelpInvitation{}, civicgrid.Errorf(civicgrid.ECONFLICT,
			"request %d is %s: volunteers are invited only while it is open (accepted, not taken)", id, r.Status)
	}
	if userID <= 0 || s.cfg.People == nil {
		return civicgrid.HelpInvitation{}, civicgrid.Errorf(civicgrid.EINVALID, "name the volunteer to invite (user_id)")
	}
	u, err := s.cfg.People.UserByID(ctx, userID)
	if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
		return civicgrid.HelpInvitation{}, civicgrid.Errorf(civicgrid.EINVALID, "no volunteer %d", userID)
	} else if err != nil {
		return civicgrid.HelpInvitation{}, err
	}
	invitee := u.Actor()
	switch {
	case u.ID == r.PosterID:
		return civicgrid.HelpInvitation{}, civicgrid.Errorf(civicgrid.EINVALID, "%s asked for this help: invite another volunteer", civicgrid.MaskName(u.Name))
	case civicgrid.Authorize(invitee, civicgrid.ActionClaimHelp, r.Object()) != nil:
		return civicgrid.HelpInvitation{}, civicgrid.Errorf(civicgrid.EINVALID, "%s is not a volunteer whose area covers building %s", civicgrid.MaskName(u.Name), r.BuildingCode)
	}
	if err := s.approved(ctx, invitee); err != nil {
		return civicgrid.HelpInvitation{}, civicgrid.Errorf(civicgrid.EINVALID, "%s cannot be invited: %s", civicgrid.MaskName(u.Name), civicgrid.ErrorMessage(err))
	}
	return s.store.InviteHelp(ctx, civicgrid.HelpInvitation{RequestID: id, VolunteerID: u.ID, Volunteer: civicgrid.MaskName(u.Name),
		InvitedByID: actor.UserID, InvitedBy: actor.Label()}, event(actor, civicgrid.HelpActInvited, s.now()))
}

// Invitations lists the actor's open invitations to requests still open.
func (s *Service) Invitations(ctx context.Context, actor civicgrid.Actor) ([]Invitation, error) {
	out := []Invitation{}
	if actor.UserID == 0 {
		return out, nil
	}
	invs, err := s.store.HelpInvitationsOf(ctx, actor.UserID, ListLimit)
	if err != nil {
		return nil, err
	}
	for _, inv := range invs {
		r, err := s.readable(ctx, actor, inv.RequestID)
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			continue // the volunteer's area no longer covers it
		} else if err != nil {
			return nil, err
		}
		out = append(out, Invitation{HelpInvitation: inv, Request: s.view(actor, r)})
	}
	return out, nil
}

// own returns the actor's invitation, or ENOTFOUND (ids reveal nothing).
func (s *Service) own(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.HelpInvitation, error) {
	inv, err := s.store.HelpInvitationByID(ctx, id)
	if err == nil && (actor.UserID == 0 || inv.VolunteerID != actor.UserID) {
		err = civicgrid.Errorf(civicgrid.ENOTFOUND, "no invitation %d", id)
	}
	return inv, err
}

// AcceptInvitation accepts the actor's invitation: it claims the request
// (exactly once; 409 when another volunteer took it first).
func (s *Service) AcceptInvitation(ctx context.Context, actor civicgrid.Actor, id int64) (View, error) {
	inv, err := s.own(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	if inv.Status != civicgrid.InvitationOpen {
		return View{}, civicgrid.Errorf(civicgrid.ECONFLICT, "invitation %d is %s: only an open invitation is accepted", id, inv.Status)
	}
	return s.claim(ctx, actor, inv.RequestID, inv.ID)
}

// DeclineInvitation declines the actor's invitation, with an optional
// reason staff read.
func (s *Service) DeclineInvitation(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (civicgrid.HelpInvitation, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > civicgrid.MaxHelpReason {
		return civicgrid.HelpInvitation{}, civicgrid.Errorf(civicgrid.EINVALID, "a reason has at most %d characters", civicgrid.MaxHelpReason)
	}
	if _, err := s.own(ctx, actor, id); err != nil {
		return civicgrid.HelpInvitation{}, err
	}
	return s.store.DeclineHelpInvitation(ctx, id, reason, event(actor, civicgrid.HelpActInviteDeclined, s.now()))
}
