package civicgrid

import (
	"strconv"
	"testing"
)

// The separation of duties, rule by rule: each barred step by the actor
// refuses the action, the same step by someone else does not, and a missing
// history refuses.
func TestSeparationOfDuties(t *testing.T) {
	const me, other = 7, 8
	staff := Actor{UserID: me, Via: "session", Grants: []RoleGrant{
		{Role: RoleCommunitySecretary, AreaCode: "420102001001"},
		{Role: RoleCommunityStaff, AreaCode: "420102001001"},
	}}
	base := Object{Areas: []string{"420102001001001"}, Category: "C0005", Dept: "水务"}
	for _, d := range separationOfDuties {
		if err := Authorize(staff, d.action, base); err == nil {
			t.Errorf("%s without the case's history: allowed, want refused", d.action)
		}
		for _, step := range d.barred {
			obj := base
			obj.Done = []Done{{CaseReport, other}, {step, me}}
			if err := Authorize(staff, d.action, obj); ErrorCode(err) != EFORBIDDEN {
				t.Errorf("%s after %s by the same person: %v, want refused", d.action, step, err)
			}
			obj.Done = []Done{{CaseReport, me}, {step, other}}
			if err := Authorize(staff, d.action, obj); err != nil {
				t.Errorf("%s after %s by someone else: %v", d.action, step, err)
			}
			// A token acts for its creator: the same person.
			tok := staff
			tok.Via, tok.TokenID = "token", 3
			obj.Done = []Done{{step, me}}
			if err := Authorize(tok, d.action, obj); ErrorCode(err) != EFORBIDDEN {
				t.Errorf("%s after %s, through the person's token: %v, want refused", d.action, step, err)
			}
		}
	}
	// Requests: only the request being decided counts.
	obj := base
	obj.Done = []Done{{CaseRequestExtension, me}, {CaseApproveExtension, other}, {CaseRequestSuspend, other}}
	if err := Authorize(staff, ActionApproveCase, obj); err != nil {
		t.Errorf("deciding someone else's request after one's own earlier one was decided: %v", err)
	}
}

// Colleagues are staff whose areas lie one within the other; a resident
// grant makes no one a colleague, and auditors name no one.
func TestColleague(t *testing.T) {
	const grid, community, otherCommunity = "420102001001001", "420102001001", "420102001002"
	worker := User{ID: 2, Grants: []RoleGrant{{Role: RoleGridWorker, AreaCode: grid}}}
	dispatcher := User{ID: 3, Grants: []RoleGrant{{Role: RoleStreetDispatcher, AreaCode: "420102001"}}}
	resident := User{ID: 4, Grants: []RoleGrant{{Role: RoleResident, AreaCode: grid + "0001"}}}
	// A grid worker elsewhere who lives here is no colleague here.
	away := User{ID: 5, Grants: []RoleGrant{{Role: RoleGridWorker, AreaCode: "420103001001001"}, {Role: RoleResident, AreaCode: grid + "0001"}}}
	staff := Actor{UserID: 1, Via: "session", Grants: []RoleGrant{{Role: RoleCommunityStaff, AreaCode: community}}}
	for _, tc := range []struct {
		actor Actor
		u     User
		want  bool
	}{
		{staff, worker, true},     // below
		{staff, dispatcher, true}, // above
		{staff, resident, false},
		{staff, away, false},
		{Actor{UserID: 1, Via: "session", Grants: []RoleGrant{{Role: RoleCommunityStaff, AreaCode: otherCommunity}}}, worker, false},
		{Actor{UserID: 1, Via: "session", Grants: []RoleGrant{{Role: RoleAuditor, AreaCode: "420100"}}}, worker, false},
		{Actor{UserID: 1, Via: "session", Grants: []RoleGrant{{Role: RoleResident, AreaCode: grid + "0001"}}}, worker, false},
		{Actor{UserID: 1, Via: "session", Grants: []RoleGrant{{Role: RoleCityAdmin, AreaCode: "420100"}}}, resident, false},
	} {
		err := Authorize(tc.actor, ActionNameColleague, Colleague(tc.u))
		if (err == nil) != tc.want {
			t.Errorf("%s naming user %d: %v, want allowed %v", roleNames(tc.actor), tc.u.ID, err, tc.want)
		}
	}
}

// The reporter of a case merged into another may read the kept one; no one
// else gains anything from the list, and a token reaches only its area.
func TestMergedReporterReads(t *testing.T) {
	kept := Object{Areas: []string{"420102001001001"}, Owner: 9, Category: "C0005", MergedReporters: []int64{7}}
	merged := Actor{UserID: 7, Via: "session", Grants: []RoleGrant{{Role: RoleResident, AreaCode: "4201020010010010001"}}}
	if err := Authorize(merged, ActionReadCase, kept); err != nil {
		t.Errorf("merged reporter: %v", err)
	}
	other := merged
	other.UserID = 8
	if err := Authorize(other, ActionReadCase, kept); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("another resident: %v, want refused", err)
	}
	for _, a := range []Action{ActionRateCase, ActionVerifyCase, ActionUnmaskCase} {
		obj := kept
		obj.Done = []Done{}
		if err := Authorize(merged, a, obj); err == nil {
			t.Errorf("merged reporter may %s the kept case", a)
		}
	}
	tok := Actor{UserID: 7, Via: "token", TokenID: 1, Grants: []RoleGrant{{Role: RoleCommunitySecretary, AreaCode: "420103001001"}}}
	if err := Authorize(tok, ActionReadCase, kept); err == nil {
		t.Errorf("a token outside the case's area reads it through its creator's merged report")
	}
}

// A team's notice is read by its members (the object names the asker when
// they are one) and by staff over its scope and auditors; never by the
// community's other volunteers or residents, whatever their roles, nor
// through a token outside its area. It is withdrawn by its sender or by
// staff over its scope.
func TestTeamNoticeRules(t *testing.T) {
	n := Notice{ID: 1, Scope: "420102001001", Audience: AudienceTeam, TeamID: 7, AuthorID: 50}
	member := Actor{UserID: 3, Via: "session", Grants: []RoleGrant{{Role: RoleVolunteer, AreaCode: "420102001001"}}}
	mine := map[int64]bool{7: true}
	if err := Authorize(member, ActionReadNotice, n.ObjectFor(member.UserID, mine)); err != nil {
		t.Errorf("member: %v", err)
	}
	if err := Authorize(member, ActionReadNotice, n.ObjectFor(member.UserID, map[int64]bool{8: true})); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("a volunteer of another team: %v, want refused", err)
	}
	if err := Authorize(member, ActionReadNotice, n.Object()); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("the bare object: %v, want refused", err)
	}
	for _, role := range []string{RoleVolunteer, RoleResident, RoleBuilding, RoleGridWorker} {
		a := Actor{UserID: 4, Via: "session", Grants: []RoleGrant{{Role: role, AreaCode: "420102001001"}}}
		if err := Authorize(a, ActionReadNotice, n.ObjectFor(a.UserID, nil)); ErrorCode(err) != EFORBIDDEN {
			t.Errorf("%s of the community, not a member: %v, want refused", role, err)
		}
	}
	for _, role := range []string{RoleCommunityStaff, RoleAuditor} {
		a := Actor{UserID: 5, Via: "session", Grants: []RoleGrant{{Role: role, AreaCode: "420102001001"}}}
		if err := Authorize(a, ActionReadNotice, n.ObjectFor(a.UserID, nil)); err != nil {
			t.Errorf("%s over the scope: %v", role, err)
		}
	}
	tok := Actor{UserID: 3, Via: "token", TokenID: 2, Grants: []RoleGrant{{Role: RoleVolunteer, AreaCode: "420103001001"}}}
	if err := Authorize(tok, ActionReadNotice, n.ObjectFor(tok.UserID, mine)); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("a member's token outside the area: %v, want refused", err)
	}
	if n.Addresses(member.Grants) || n.SearchTag() != TeamTag(n.TeamID) || n.SearchTag() != "team:"+strconv.FormatInt(n.TeamID, 10) {
		t.Errorf("a team's notice addresses roles, or is tagged %q for the search", n.SearchTag())
	}
	// The search reaches members (its service fills in their teams); a
	// token does not, a role grant alone does not make one a member.
	if r := member.Reach(ActionReadNotice); !r.Member || len(r.Groups) != 0 {
		t.Errorf("a member's reach of notices: %+v, want Member and no groups (the search fills them)", r)
	}
	if r := tok.Reach(ActionReadNotice); r.Member {
		t.Errorf("a token's reach of notices reaches members: %+v", r)
	}
	if r := member.Reach(ActionReadCase); r.Member {
		t.Errorf("cases reach members: %+v", r)
	}

	sender := Actor{UserID: 50, Via: "session", Grants: []RoleGrant{{Role: RoleResident, AreaCode: "4201020020010010001"}}}
	staff := Actor{UserID: 6, Via: "session", Grants: []RoleGrant{{Role: RoleStreetDispatcher, AreaCode: "420102001"}}}
	for name, c := range map[string]struct {
		a  Actor
		ok bool
	}{
		"sender": {sender, true}, "street staff": {staff, true}, "member": {member, false},
		"other street's staff": {Actor{UserID: 7, Via: "session", Grants: []RoleGrant{{Role: RoleStreetDispatcher, AreaCode: "420102002"}}}, false},
	} {
		if err := Authorize(c.a, ActionWithdrawNotice, n.WithdrawObject()); (err == nil) != c.ok {
			t.Errorf("%s withdraws: %v, want allowed %v", name, err, c.ok)
		}
	}
}
