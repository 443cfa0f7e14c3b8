package volunteering

import (
	"context"
	"slices"

	"github.com/civicgrid/civicgrid"
)

// Time-bank accounts for the community's staff (volunteer.adjust): the
// balances of the community's people and its issuing account, a member's
// statement, and grants or take-backs through Adjust. Names are masked.

// MemberBalance is one person's account as staff see it.
type MemberBalance struct {
	UserID  int64  `json:"user_id"`
	Name    string `json:"name"` // masked
	Balance int    `json:"balance_minutes"`
}

// CommunityAccounts is a community's time bank: its issuing account (its
// negative balance is the time the community owes) and the accounts of its
// people that hold anything, largest balance first.
type CommunityAccounts struct {
	Community string          `json:"community_code"`
	Issuer    int             `json:"issuer_balance_minutes"`
	Members   []MemberBalance `json:"members"`
}

// maxMembersListed bounds the people read for one community's accounts
// (a community has a few thousand residents).
const maxMembersListed = 20000

// communityPeople returns the people holding a grant in the community (or
// registered as volunteers of it), masked, by id.
func (s *Service) communityPeople(ctx context.Context, community string) (map[int64]string, error) {
	if s.cfg.People == nil {
		return nil, civicgrid.Errorf(civicgrid.EINTERNAL, "no account directory to list the community's people")
	}
	people := map[int64]string{}
	var after int64
	for len(people) < maxMembersListed {
		us, err := s.cfg.People.ListUsers(ctx, civicgrid.UserFilter{Within: []string{community}, Limit: 500, After: after})
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			people[u.ID] = civicgrid.MaskName(u.Name)
			after = u.ID
		}
		if len(us) < 500 {
			break
		}
	}
	ps, err := s.store.VolunteerProfiles(ctx, []string{community}, nil, maxMembersListed)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		people[p.UserID] = civicgrid.MaskName(p.Name)
	}
	return people, nil
}

// memberOf reports whether a person belongs to the community (a grant in
// it, or registered there) and their masked name.
func (s *Service) memberOf(ctx context.Context, community string, userID int64) (string, bool, error) {
	if s.cfg.People == nil {
		return "", false, civicgrid.Errorf(civicgrid.EINTERNAL, "no account directory to find the community's people")
	}
	u, err := s.cfg.People.UserByID(ctx, userID)
	switch {
	case civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND:
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	for _, g := range u.Grants {
		if civicgrid.InSubtree(community, g.AreaCode) {
			return civicgrid.MaskName(u.Name), true, nil
		}
	}
	if p, err := s.store.VolunteerProfileOf(ctx, userID); err == nil && p.Community == community {
		return civicgrid.MaskName(u.Name), true, nil
	}
	return "", false, nil
}

// Accounts lists a community's time-bank accounts for its staff.
func (s *Service) Accounts(ctx context.Context, actor civicgrid.Actor, community string) (CommunityAccounts, error) {
	if civicgrid.LevelOfCode(community) != civicgrid.LevelCommunity {
		return CommunityAccounts{}, civicgrid.Errorf(civicgrid.EINVALID, "community: a community's code (12 digits)")
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionAdjustTimeBank, civicgrid.In(community)); err != nil {
		return CommunityAccounts{}, err
	}
	people, err := s.communityPeople(ctx, community)
	if err != nil {
		return CommunityAccounts{}, err
	}
	accounts := []string{civicgrid.IssuerAccount(community)}
	for id := range people {
		accounts = append(accounts, civicgrid.MemberAccount(id))
	}
	bs, err := s.store.Balances(ctx, accounts)
	if err != nil {
		return CommunityAccounts{}, err
	}
	out := CommunityAccounts{Community: community, Issuer: bs[civicgrid.IssuerAccount(community)], Members: []MemberBalance{}}
	for id, name := range people {
		if b, ok := bs[civicgrid.MemberAccount(id)]; ok {
			out.Members = append(out.Members, MemberBalance{UserID: id, Name: name, Balance: b})
		}
	}
	slices.SortFunc(out.Members, func(a, b MemberBalance) int {
		if a.Balance != b.Balance {
			return b.Balance - a.Balance
		}
		return int(a.UserID - b.UserID)
	})
	return out, nil
}

// MemberStatement returns a page of a person's account to the staff of a
// community the person belongs to (a grant in it, or registered there);
// others: "not found".
func (s *Service) MemberStatement(ctx context.Context, actor civicgrid.Actor, community string, userID int64, before string) (StatementPage, MemberBalance, error) {
	if civicgrid.LevelOfCode(community) != civicgrid.LevelCommunity {
		return StatementPage{}, MemberBalance{}, civicgrid.Errorf(civicgrid.EINVALID, "community: a community's code (12 digits)")
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionAdjustTimeBank, civicgrid.In(community)); err != nil {
		return StatementPage{}, MemberBalance{}, err
	}
	var cur *civicgrid.LedgerCursor
	if before != "" {
		c, err := civicgrid.ParseLedgerCursor(before)
		if err != nil {
			return StatementPage{}, MemberBalance{}, err
		}
		cur = &c
	}
	name, ok, err := s.memberOf(ctx, community, userID)
	if err != nil {
		return StatementPage{}, MemberBalance{}, err
	}
	if !ok {
		return StatementPage{}, MemberBalance{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no member %d of community %s", userID, community)
	}
	p, err := s.page(ctx, civicgrid.MemberAccount(userID), cur)
	return p, MemberBalance{UserID: userID, Name: name, Balance: p.Balance}, err
}
