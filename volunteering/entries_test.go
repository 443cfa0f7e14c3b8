package volunteering_test

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/volunteering"
)

// The statement a page at a time: newest first, 50 a page, each older page
// from the cursor of the one before, nothing twice or left out (entries of
// the same millisecond included); the balance is the account's.
func TestStatementPages(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	staff, vol := e.person(civicgrid.RoleCommunityStaff, community), e.person(civicgrid.RoleVolunteer, community)
	const n = 120
	for i := range n {
		if i%3 != 0 {
			e.now = e.now.Add(time.Minute) // every third in the same millisecond as the one before
		}
		must(e.svc.Adjust(ctx, staff, volunteering.Adjustment{UserID: vol.UserID, Community: community, Minutes: i + 1, Reason: "第" + string(rune('0'+i%10)) + "次"}))
	}
	seen := map[int64]bool{}
	var all []civicgrid.LedgerEntry
	before, pages := "", 0
	for {
		p := must(e.svc.Entries(ctx, vol, before))
		pages++
		if p.Balance != n*(n+1)/2 {
			t.Fatalf("balance %d", p.Balance)
		}
		for _, x := range p.Entries {
			if seen[x.ID] {
				t.Fatalf("entry %d twice", x.ID)
			}
			seen[x.ID] = true
		}
		all = append(all, p.Entries...)
		if p.Older == "" {
			break
		}
		if len(p.Entries) != volunteering.StatementPageSize {
			t.Fatalf("a page of %d before the last", len(p.Entries))
		}
		before = p.Older
	}
	if pages != 3 || len(all) != n {
		t.Fatalf("%d pages, %d entries", pages, len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].At.After(all[i-1].At) || (all[i].At.Equal(all[i-1].At) && all[i].ID > all[i-1].ID) {
			t.Fatalf("not newest first at %d", i)
		}
	}
	if all[0].Minutes != n || all[n-1].Minutes != 1 {
		t.Fatalf("first %d, last %d", all[0].Minutes, all[n-1].Minutes)
	}
	for _, bad := range []string{"x", "12", "-1-3", "5-0"} {
		_, err := e.svc.Entries(ctx, vol, bad)
		wantErr(t, err, civicgrid.EINVALID, "statement position")
	}
	// Anyone reads their own account only (volunteer.time_bank): staff's
	// is their own, empty.
	if p, err := e.svc.Entries(ctx, staff, ""); err != nil || p.Balance != 0 || len(p.Entries) != 0 {
		t.Fatalf("staff's own statement: %+v %v", p, err)
	}
}
