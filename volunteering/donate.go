package volunteering

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
)

// Donations (赠与): a member gives minutes of their time-bank balance to a
// family member — a resident account in their community — with a reason.
// One ledger transfer between the two member accounts (kind donation): the
// donor's floor holds, both statements show it, the ledger still sums to
// zero.

// Donation is what a member gives.
type Donation struct {
	ToUserID int64  `json:"to_user_id"` // the family member's account,
	ToPhone  string `json:"to_phone"`   // or their phone number
	Minutes  int    `json:"minutes"`
	Reason   string `json:"reason"`
}

// phoneBook finds an account by phone (the store does).
type phoneBook interface {
	UserByPhone(ctx context.Context, phone string) (civicgrid.User, error)
}

// Donate moves minutes from the actor's account to a resident of one of
// their communities (their registration's, or their grants'), with a
// reason. Bad input names every problem; oneself, an unknown account or
// someone not a resident of the actor's community → 400; beyond the floor
// → 409 (civicgrid.FloorRefusal). Nothing is written then.
func (s *Service) Donate(ctx context.Context, actor civicgrid.Actor, in Donation) (Hours, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionTimeBank, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return Hours{}, err
	}
	var ps []civicgrid.Problem
	in.ToPhone = strings.TrimSpace(in.ToPhone)
	if in.ToUserID <= 0 && in.ToPhone == "" {
		ps = append(ps, civicgrid.Problem{Index: -1, Kind: "to_user_id", Detail: "the family member: their account (to_user_id) or phone number (to_phone)"})
	}
	if in.Minutes <= 0 || in.Minutes > MaxAdjustMinutes {
		ps = append(ps, civicgrid.Problem{Index: -1, Kind: "minutes", Detail: "1 to " + strconv.Itoa(MaxAdjustMinutes) + " minutes"})
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" || utf8.RuneCountInString(in.Reason) > civicgrid.MaxHelpReason {
		ps = append(ps, civicgrid.Problem{Index: -1, Kind: "reason", Detail: "a donation needs a reason of 1 to " + strconv.Itoa(civicgrid.MaxHelpReason) + " characters"})
	}
	if len(ps) > 0 {
		return Hours{}, &civicgrid.Error{Code: civicgrid.EINVALID, Message: "the donation is not valid", Problems: ps}
	}
	if s.cfg.People == nil {
		return Hours{}, civicgrid.Errorf(civicgrid.EINTERNAL, "no account directory to find the family member")
	}
	var to civicgrid.User
	var err error
	if in.ToUserID > 0 {
		to, err = s.cfg.People.UserByID(ctx, in.ToUserID)
	} else if pb, ok := s.cfg.People.(phoneBook); ok {
		to, err = pb.UserByPhone(ctx, in.ToPhone)
	} else {
		err = civicgrid.Errorf(civicgrid.EINTERNAL, "no phone look-up to find the family member")
	}
	switch {
	case civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND:
		return Hours{}, notFamily()
	case err != nil:
		return Hours{}, err
	case to.ID == actor.UserID:
		return Hours{}, civicgrid.Errorf(civicgrid.EINVALID, "a donation goes to someone else: one does not donate to oneself")
	}
	mine := map[string]bool{}
	for _, g := range actor.Grants {
		if len(g.AreaCode) >= 12 {
			mine[g.AreaCode[:12]] = true
		}
	}
	if p, err := s.store.VolunteerProfileOf(ctx, actor.UserID); err == nil {
		mine[p.Community] = true
	}
	shared := ""
	for _, g := range to.Grants {
		if g.Role == civicgrid.RoleResident && len(g.AreaCode) >= 12 && mine[g.AreaCode[:12]] {
			shared = g.AreaCode[:12]
			break
		}
	}
	if shared == "" {
		return Hours{}, notFamily()
	}
	from := civicgrid.MemberAccount(actor.UserID)
	if err := s.store.Transfer(ctx, civicgrid.LedgerTransfer{From: from, To: civicgrid.MemberAccount(to.ID), Minutes: in.Minutes,
		Kind: civicgrid.LedgerDonation, Reason: in.Reason, ActorID: actor.UserID, Actor: actor.Label(), At: s.now(),
		FromFloor: s.cfg.MemberFloorMinutes}); err != nil {
		return Hours{}, err
	}
	b, err := s.store.Balance(ctx, from)
	return Hours{BalanceMinutes: b}, err
}

// notFamily is the refusal of a recipient who is not a resident of the
// donor's community, or no account at all: the same words, so a phone
// number tried reveals nothing about its account.
func notFamily() error {
	return civicgrid.Errorf(civicgrid.EINVALID, "no resident of your community with that account or phone: a donation goes to a family member who is a resident of your community")
}
