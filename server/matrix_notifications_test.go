package server_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/webpush"
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
	// Browser push: everyone turns it on and off in their own browsers;
	// another person's subscription is "not found".
	mxExpected["GET /api/v1/notifications/push"] = own
	mxExpected["POST /api/v1/notifications/push"] = own
	mxExpected["DELETE /api/v1/notifications/push"] = "YN YN YN YN YN YN YN YN YN YN YN YN"
	mxFixtures["GET /api/v1/notifications/push"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/notifications/push"}
	}
	mxFixtures["POST /api/v1/notifications/push"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/notifications/push", e.pushSubscription(0)}
	}
	mxFixtures["DELETE /api/v1/notifications/push"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		// The actor's own subscription, or a resident's of another district.
		to := a.user.ID
		if away || to == 0 {
			to = e.resident(true).ID
		}
		return mxRequest{"DELETE", "/api/v1/notifications/push", map[string]any{"endpoint": e.pushSubscription(to)["endpoint"]}}
	}
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

// pushSubscription makes a browser's subscription at a public push
// service (its name resolves from testResolver; nothing is sent to it):
// stored for userID, or only returned as the page would post it when
// userID is 0.
func (e *mxEnv) pushSubscription(userID int64) map[string]any {
	e.t.Helper()
	e.phones++
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	sub := civicgrid.PushSubscription{UserID: userID, Endpoint: fmt.Sprintf("https://example.org/push/matrix-%d", e.phones),
		P256DH: base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), Auth: "AAAAAAAAAAAAAAAAAAAAAA", CreatedAt: time.Now()}
	if userID != 0 {
		if _, err := e.db.AddPushSubscription(context.Background(), sub); err != nil {
			e.t.Fatal(err)
		}
	}
	return map[string]any{"endpoint": sub.Endpoint, "keys": map[string]string{"p256dh": sub.P256DH, "auth": sub.Auth}}
}

// mxVAPIDKey is the matrix server's push key.
func mxVAPIDKey(t testing.TB) *webpush.Key {
	k, err := webpush.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
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
