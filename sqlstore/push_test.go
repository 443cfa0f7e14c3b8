package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// TestPushSubscriptionsAndTakePush: an endpoint belongs to one person (a
// second person's claim is a conflict and changes nothing); a person keeps
// their newest MaxPushSubscriptions; a new message is taken for push once,
// even by two takers at the same moment, and not at all when the person
// paused push.
func TestPushSubscriptionsAndTakePush(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	var users []civicgrid.User
	for i := range 2 {
		u, err := db.CreateUser(ctx, civicgrid.User{Name: "推送", Phone: fmt.Sprintf("1380000010%d", i)}, "h", nil, civicgrid.SecurityEvent{})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	a, b := users[0].ID, users[1].ID
	at := time.UnixMilli(1_790_000_000_000)
	sub := func(user int64, n int) civicgrid.PushSubscription {
		return civicgrid.PushSubscription{UserID: user, Endpoint: fmt.Sprintf("https://push.example.org/%d", n), P256DH: "k", Auth: "s", CreatedAt: at}
	}
	first, err := db.AddPushSubscription(ctx, sub(a, 0))
	if err != nil {
		t.Fatal(err)
	}
	// The same person again renews the keys; another person is refused.
	renewed := sub(a, 0)
	renewed.Auth = "s2"
	if again, err := db.AddPushSubscription(ctx, renewed); err != nil || again.ID != first.ID {
		t.Fatalf("renew: %+v %v", again, err)
	}
	if _, err := db.AddPushSubscription(ctx, sub(b, 0)); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Errorf("another person's endpoint: %v, want a conflict", err)
	}
	if got, err := db.PushSubscriptionByEndpoint(ctx, sub(a, 0).Endpoint); err != nil || got.UserID != a || got.Auth != "s2" {
		t.Errorf("after the conflict: %+v %v", got, err)
	}
	// The limit: the oldest make room.
	for n := 1; n <= civicgrid.MaxPushSubscriptions+2; n++ {
		if _, err := db.AddPushSubscription(ctx, sub(a, n)); err != nil {
			t.Fatal(err)
		}
	}
	subs, err := db.PushSubscriptions(ctx, a)
	if err != nil || len(subs) != civicgrid.MaxPushSubscriptions || subs[0].Endpoint != sub(a, 3).Endpoint {
		t.Fatalf("kept %d, first %+v (%v)", len(subs), subs[0], err)
	}

	// Two messages for a (subscribed), one for b (no subscription), taken
	// by two takers at once: each message of a exactly once.
	var ns []civicgrid.Notification
	for i, u := range []int64{a, a, b} {
		ns = append(ns, civicgrid.Notification{UserID: u, Kind: "case.registered", Source: fmt.Sprintf("push-test:%d", i), Title: "t", Body: "b",
			Link: "/cases/1", CreatedAt: at, SMS: civicgrid.SMSNone, PushPending: true})
	}
	if ok, err := db.AddNotifications(ctx, "push-test", 0, 3, ns); err != nil || !ok {
		t.Fatal(ok, err)
	}
	var mu sync.Mutex
	taken := map[int64]int{}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			out, err := db.TakePush(ctx, 10)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, o := range out {
				taken[o.ID]++
				if o.UserID != a || len(o.Subscriptions) != civicgrid.MaxPushSubscriptions || o.Link != "/cases/1" {
					t.Errorf("taken %+v with %d subscriptions", o.Notification, len(o.Subscriptions))
				}
			}
		})
	}
	wg.Wait()
	if len(taken) != 2 {
		t.Errorf("taken %v, want a's two messages", taken)
	}
	for id, n := range taken {
		if n != 1 {
			t.Errorf("message %d taken %d times", id, n)
		}
	}
	if out, err := db.TakePush(ctx, 10); err != nil || len(out) != 0 {
		t.Errorf("taken again: %+v %v", out, err)
	}
	// Paused: taken off the queue, not handed out.
	if err := db.SetNotificationPrefs(ctx, civicgrid.NotificationPrefs{UserID: a, PushOff: true}); err != nil {
		t.Fatal(err)
	}
	if p, err := db.NotificationPrefs(ctx, a); err != nil || !p.PushOff {
		t.Fatalf("prefs %+v %v", p, err)
	}
	ns[0].Source = "push-test:paused"
	if ok, err := db.AddNotifications(ctx, "push-test", 3, 4, ns[:1]); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if out, err := db.TakePush(ctx, 10); err != nil || len(out) != 0 {
		t.Errorf("paused: %+v %v", out, err)
	}
	var pending int
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM notifications WHERE push_pending = TRUE`).Scan(&pending); err != nil || pending != 0 {
		t.Errorf("%d still pending (%v)", pending, err)
	}
}
