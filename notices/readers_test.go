package notices_test

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Read receipts, who read when: a building head lists who of their
// building read the notice and when (masked), not the readers of another
// building; the unread list says when those who read but did not confirm
// read it; a resident may not list readers.
func TestNoticeReaders(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, false)
	staff := e.person("张社工", civicgrid.RoleCommunityStaff, community)
	head := e.person("陈楼长", civicgrid.RoleBuilding, building)
	wang := e.person("王秀英", civicgrid.RoleResident, building)
	zhao := e.person("赵静", civicgrid.RoleResident, building)
	li := e.person("李建国", civicgrid.RoleResident, building2)
	v, err := e.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: community, Audience: civicgrid.AudienceResidents, Title: "燃气检查", Body: "周六", NeedConfirm: true})
	if err != nil {
		t.Fatal(err)
	}
	readAt := e.now
	for _, a := range []civicgrid.Actor{wang, li} {
		if _, err := e.svc.Read(ctx, a, v.ID, false); err != nil {
			t.Fatal(err)
		}
	}
	e.now = e.now.Add(time.Hour)
	if _, err := e.svc.Read(ctx, wang, v.ID, true); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Hour)
	if _, err := e.svc.Read(ctx, zhao, v.ID, false); err != nil {
		t.Fatal(err)
	}
	f, err := e.svc.Readers(ctx, head, v.ID, "", civicgrid.UnreachedCursor{})
	if err != nil || !f.Readers || f.Within != building || len(f.People) != 2 {
		t.Fatalf("the head's readers %+v %v", f, err)
	}
	w := f.People[0]
	if w.UserID != wang.UserID || w.Name == wang.Name || w.Phone == wang.Phone || !w.ReadAt.Equal(readAt) || !w.ConfirmedAt.Equal(readAt.Add(time.Hour)) {
		t.Fatalf("王's entry %+v (masked, read and confirmed at)", w)
	}
	if z := f.People[1]; z.UserID != zhao.UserID || !z.ConfirmedAt.IsZero() || !z.ReadAt.Equal(readAt.Add(2*time.Hour)) {
		t.Fatalf("赵's entry %+v", z)
	}
	// The unread (not confirmed) list: 赵 read, not confirmed, with when.
	u, err := e.svc.FollowUp(ctx, head, v.ID, "", civicgrid.UnreachedCursor{})
	if err != nil || u.Readers || len(u.People) != 1 || u.People[0].UserID != zhao.UserID || !u.People[0].Read || u.People[0].ReadAt.IsZero() {
		t.Fatalf("the head's unconfirmed %+v %v", u.People, err)
	}
	// Staff over the community see both buildings' readers.
	if f, err := e.svc.Readers(ctx, staff, v.ID, "", civicgrid.UnreachedCursor{}); err != nil || len(f.People) != 3 {
		t.Fatalf("staff's readers %+v %v", f.People, err)
	}
	if _, err := e.svc.Readers(ctx, wang, v.ID, "", civicgrid.UnreachedCursor{}); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN && civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		t.Fatalf("a resident lists readers: %v", err)
	}
}
