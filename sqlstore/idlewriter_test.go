package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// TestIdleSendersLeaveTheWriterAlone: the background senders (webhooks,
// group robots, text messages, push) and the early warning's update wake
// after every batch of reports and mostly find nothing to do. With nothing
// due they must answer without the write connection, which on SQLite is
// the one that intake's batches wait for: here it is held by someone else
// for the whole test, and every call must still return at once, empty.
// (Before, each took the connection for an empty transaction and waited.)
func TestIdleSendersLeaveTheWriterAlone(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if db.Dialect() == SQLite {
		held, err := db.write.Conn(ctx) // the pool's only connection
		if err != nil {
			t.Fatal(err)
		}
		defer held.Close()
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	now := time.Now()
	if ds, err := db.ClaimDueDeliveries(ctx, now, now.Add(time.Minute), 10); err != nil || len(ds) != 0 {
		t.Errorf("webhook deliveries: %v, %v", ds, err)
	}
	if ds, err := db.DueRobotDeliveries(ctx, now, now.Add(time.Minute), 10); err != nil || len(ds) != 0 {
		t.Errorf("robot deliveries: %v, %v", ds, err)
	}
	if ms, err := db.ClaimSMS(ctx, now, now.Add(time.Minute), 100, 10); err != nil || len(ms) != 0 {
		t.Errorf("text messages: %v, %v", ms, err)
	}
	if ps, err := db.TakePush(ctx, 10); err != nil || len(ps) != 0 {
		t.Errorf("push: %v, %v", ps, err)
	}
	if as, err := db.SaveAlerts(ctx, []civicgrid.Alert{}); err != nil || len(as) != 0 {
		t.Errorf("alerts: %v, %v", as, err)
	}
}
