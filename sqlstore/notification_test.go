package sqlstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// TestClaimSMSSettlesABacklogPerPerson: an escalation storm leaves hundreds
// of text messages due for a few grid workers. One claim sends each person
// up to the hourly limit and settles the rest of an over-limit person's due
// messages at once (limited), rather than one by one, batch after batch; a
// person with text messages off has every due one dropped alike; a message
// not yet due is left alone.
func TestClaimSMSSettlesABacklogPerPerson(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var users []int64
	for i := range 3 {
		u, err := db.CreateUser(ctx, civicgrid.User{Name: "网格员", Phone: fmt.Sprintf("1380000020%d", i)}, "h", nil, civicgrid.SecurityEvent{})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	busy, quiet, off := users[0], users[1], users[2]
	if err := db.SetNotificationPrefs(ctx, civicgrid.NotificationPrefs{UserID: off, SMSOff: true}); err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(1_790_000_000_000)
	var ns []civicgrid.Notification
	add := func(u int64, n int, at time.Time) {
		for range n {
			ns = append(ns, civicgrid.Notification{UserID: u, Kind: "case.escalated", Source: fmt.Sprintf("sms-test:%d", len(ns)), Title: "t",
				Body: "b", Link: "/cases/1", CreatedAt: at, SMS: civicgrid.SMSPending})
		}
	}
	add(busy, 300, now.Add(-time.Minute))
	add(quiet, 2, now.Add(-time.Minute))
	add(off, 100, now.Add(-time.Minute))
	add(busy, 1, now.Add(time.Hour)) // not due yet
	if ok, err := db.AddNotifications(ctx, "sms-test", 0, 1, ns); err != nil || !ok {
		t.Fatal(ok, err)
	}
	const perHour = 5
	// Claims of 64 until none is left: the busy person's first batch sends
	// five and settles the other 295 with it; the next takes the rest.
	claimed := map[int64]int{}
	claims := 0
	for ; claims < 20; claims++ {
		out, err := db.ClaimSMS(ctx, now, now.Add(time.Minute), perHour, 64)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) == 0 {
			break
		}
		for _, m := range out {
			claimed[m.UserID]++
		}
	}
	if claims > 2 {
		t.Errorf("%d claims of 64 to get through 402 due messages of three people, want 2", claims)
	}
	if claimed[busy] != perHour || claimed[quiet] != 2 || claimed[off] != 0 {
		t.Errorf("claimed %v, want %d for the busy one, 2 for the quiet one, none for the one with texts off", claimed, perHour)
	}
	states := map[int64]map[civicgrid.SMSState]int{}
	rows, err := db.read.QueryContext(ctx, `SELECT user_id, sms_state, COUNT(*) FROM notifications GROUP BY user_id, sms_state`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var u int64
		var st string
		var n int
		if err := rows.Scan(&u, &st, &n); err != nil {
			t.Fatal(err)
		}
		if states[u] == nil {
			states[u] = map[civicgrid.SMSState]int{}
		}
		states[u][civicgrid.SMSState(st)] = n
	}
	rows.Close()
	want := map[int64]map[civicgrid.SMSState]int{
		busy:  {civicgrid.SMSSending: perHour, civicgrid.SMSLimited: 300 - perHour, civicgrid.SMSPending: 1},
		quiet: {civicgrid.SMSSending: 2},
		off:   {civicgrid.SMSOptedOut: 100},
	}
	for u, w := range want {
		if fmt.Sprint(states[u]) != fmt.Sprint(w) {
			t.Errorf("user %d: %v, want %v", u, states[u], w)
		}
	}
}
