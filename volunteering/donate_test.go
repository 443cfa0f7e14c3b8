package volunteering_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/volunteering"
)

// A member gives minutes to a family member — a resident of their
// community, found by account or phone — with a reason: both statements
// show the donation, the donor's floor holds, the ledger still sums to
// zero. Bad input (no one named, no minutes, no reason, oneself, an
// unknown phone, a resident of another community, beyond the floor) is
// refused naming the rule and writes nothing.
func TestTimeBankDonation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc = e.with(volunteering.Config{ClaimLimit: 2, People: e.db})
	staff := e.person(civicgrid.RoleCommunityStaff, community)
	vol := e.person(civicgrid.RoleVolunteer, community)
	mother := e.person(civicgrid.RoleResident, building)
	stranger := e.person(civicgrid.RoleResident, away)
	must(e.svc.Adjust(ctx, staff, volunteering.Adjustment{UserID: vol.UserID, Community: community, Minutes: 60, Reason: "敬老节奖励"}))
	balance := func(a civicgrid.Actor) int { return must(e.svc.Entries(ctx, a, "")).Balance }
	// Staff grant only to members of the community.
	_, err := e.svc.Adjust(ctx, staff, volunteering.Adjustment{UserID: stranger.UserID, Community: community, Minutes: 60, Reason: "x"})
	wantErr(t, err, civicgrid.EINVALID, "is not a member of community")
	// Staff's view of the community's accounts and a member's statement.
	accts := must(e.svc.Accounts(ctx, staff, community))
	if accts.Issuer != -60 || len(accts.Members) != 1 || accts.Members[0].UserID != vol.UserID || accts.Members[0].Balance != 60 ||
		accts.Members[0].Name != civicgrid.MaskName(vol.Name) {
		t.Fatalf("the community's accounts: %+v", accts)
	}
	if _, err := e.svc.Accounts(ctx, vol, community); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("a volunteer reads the community's accounts: %v", err)
	}
	if _, _, err := e.svc.MemberStatement(ctx, staff, community, stranger.UserID, ""); civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("staff read a stranger's statement: %v", err)
	}

	for _, c := range []struct {
		in         volunteering.Donation
		code, text string
	}{
		{volunteering.Donation{Minutes: 10, Reason: "x"}, civicgrid.EINVALID, "not valid"},
		{volunteering.Donation{ToUserID: mother.UserID, Reason: "x"}, civicgrid.EINVALID, "not valid"},
		{volunteering.Donation{ToUserID: mother.UserID, Minutes: 10, Reason: " "}, civicgrid.EINVALID, "not valid"},
		{volunteering.Donation{ToUserID: vol.UserID, Minutes: 10, Reason: "x"}, civicgrid.EINVALID, "does not donate to oneself"},
		{volunteering.Donation{ToPhone: "13000000000", Minutes: 10, Reason: "x"}, civicgrid.EINVALID, "no resident of your community with that account or phone"},
		{volunteering.Donation{ToUserID: stranger.UserID, Minutes: 10, Reason: "x"}, civicgrid.EINVALID, "no resident of your community with that account or phone"},
		{volunteering.Donation{ToUserID: mother.UserID, Minutes: 61, Reason: "给母亲"}, civicgrid.ECONFLICT, "below the floor of 0 minutes"},
	} {
		_, err = e.svc.Donate(ctx, vol, c.in)
		wantErr(t, err, c.code, c.text)
	}
	if balance(vol) != 60 || balance(mother) != 0 || len(must(e.svc.Entries(ctx, mother, "")).Entries) != 0 {
		t.Fatalf("refused donations wrote: %d, %d", balance(vol), balance(mother))
	}

	h := must(e.svc.Donate(ctx, vol, volunteering.Donation{ToPhone: " " + fmt.Sprintf("1390000%04d", 3) + " ", Minutes: 45, Reason: "给母亲看病用"}))
	if h.BalanceMinutes != 15 || balance(mother) != 45 {
		t.Fatalf("after the donation: donor %d, mother %d", h.BalanceMinutes, balance(mother))
	}
	for _, c := range []struct {
		who     civicgrid.Actor
		minutes int
	}{{vol, -45}, {mother, 45}} {
		es := must(e.svc.Entries(ctx, c.who, "")).Entries
		if len(es) == 0 || es[0].Kind != civicgrid.LedgerDonation || es[0].Minutes != c.minutes || es[0].Reason != "给母亲看病用" {
			t.Fatalf("%s's statement: %+v", c.who.Name, es)
		}
	}
	// The resident reads the month's statement too.
	if st := must(e.svc.Statement(ctx, mother, "")); st.Closing != 45 || len(st.Entries) != 1 {
		t.Fatalf("the mother's month: %+v", st)
	}
	if c := must(e.db.CheckTimeBank(ctx)); c.Sum != 0 || len(c.Mismatched)+len(c.Unbalanced) != 0 {
		t.Fatalf("ledger check: %+v", c)
	}
}
