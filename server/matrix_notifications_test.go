package server_test

import (
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Matrix rows and fixtures of the notification routes: everyone reads,
// marks and sets up their own inbox; another person's message is "not
// found", whatever the role.
func init() {
	own := "Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y- Y-"
	for _, key := range []string{"GET /api/v1/notifications", "POST /api/v1/notifications/read", "GET /api/v1/notifications/settings",
		"PUT /api/v1/notifications/settings"} {
		mxExpected[key] = own
	}
	mxExpected["POST /api/v1/notifications/{id}/read"] = "YN YN YN YN YN YN YN YN YN YN YN YN"
	mxFixtures["GET /api/v1/notifications"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/notifications?unread=1"}
	}
	mxFixtures["POST /api/v1/notifications/read"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "POST", path: "/api/v1/notifications/read"}
	}
	mxFixtures["GET /api/v1/notifications/settings"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/notifications/settings"}
	}
	mxFixtures["PUT /api/v1/notifications/settings"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"PUT", "/api/v1/notifications/settings", map[string]any{"sms_off": true, "lang": "en"}}
	}
	mxFixtures["POST /api/v1/notifications/{id}/read"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		// The actor's own message, or a resident's of another district.
		to := a.user.ID
		if away || to == 0 { // 0: the anonymous call, refused before any lookup
			to = e.resident(true).ID
		}
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/notifications/%d/read", e.notification(to))}
	}
}

// notification stores a message for a user and returns its id.
func (e *mxEnv) notification(userID int64) int64 {
	e.t.Helper()
	ctx := context.Background()
	e.phones++
	name := fmt.Sprintf("matrix-%d", e.phones)
	if ok, err := e.db.AddNotifications(ctx, name, 0, 1, []civicgrid.Notification{{UserID: userID, Kind: "case.registered",
		Source: name, Title: "您反映的问题已立案", Body: "工单 1", CreatedAt: time.Now(), SMS: civicgrid.SMSNone}}); err != nil || !ok {
		e.t.Fatalf("add notification: %v %v", ok, err)
	}
	ns, err := e.db.Notifications(ctx, civicgrid.NotificationFilter{UserID: userID, Limit: 1})
	if err != nil || len(ns) != 1 {
		e.t.Fatalf("notifications: %v %v", ns, err)
	}
	return ns[0].ID
}
