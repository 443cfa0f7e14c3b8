package server_test

import (
	"context"
	"fmt"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Matrix rows and fixtures of the webhook routes: district and city admins
// manage the hooks of areas in their scope.
func init() {
	only := "NN NN NN NN NN NN NN NN NN YN YY NN"
	for _, key := range []string{"GET /api/v1/webhooks", "POST /api/v1/webhooks", "DELETE /api/v1/webhooks/{id}",
		"GET /api/v1/webhooks/{id}/deliveries", "POST /api/v1/webhooks/{id}/replay", "POST /api/v1/webhooks/{id}/deliveries/{delivery}/replay"} {
		mxExpected[key] = only
	}
	mxFixtures["GET /api/v1/webhooks"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: "/api/v1/webhooks?within=" + e.chain(away).district}
	}
	mxFixtures["POST /api/v1/webhooks"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{"POST", "/api/v1/webhooks", map[string]any{"name": "区城管平台", "url": "https://hooks.example.org/civicgrid",
			"within": e.chain(away).district, "actions": []string{"register", "close"}}}
	}
	mxFixtures["DELETE /api/v1/webhooks/{id}"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "DELETE", path: fmt.Sprintf("/api/v1/webhooks/%d", e.hook(away).ID)}
	}
	mxFixtures["GET /api/v1/webhooks/{id}/deliveries"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "GET", path: fmt.Sprintf("/api/v1/webhooks/%d/deliveries?state=dead", e.hook(away).ID)}
	}
	mxFixtures["POST /api/v1/webhooks/{id}/replay"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/webhooks/%d/replay", e.hook(away).ID)}
	}
	mxFixtures["POST /api/v1/webhooks/{id}/deliveries/{delivery}/replay"] = func(e *mxEnv, a mxActor, away bool) mxRequest {
		h := e.hook(away)
		return mxRequest{method: "POST", path: fmt.Sprintf("/api/v1/webhooks/%d/deliveries/%d/replay", h.ID, e.deadDelivery(h))}
	}
}

// hook makes a webhook over the home or the away district.
func (e *mxEnv) hook(away bool) civicgrid.Webhook {
	e.t.Helper()
	h, _, err := e.hooks.Create(context.Background(), civicgrid.Webhook{Name: "对接", URL: "https://hooks.example.org/x", Within: e.chain(away).district})
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// deadDelivery queues one delivery for h and dead-letters it.
func (e *mxEnv) deadDelivery(h civicgrid.Webhook) int64 {
	e.t.Helper()
	ctx := context.Background()
	now := time.Now()
	if ok, err := e.db.EnqueueDeliveries(ctx, h.ID, h.Cursor, h.Cursor, []civicgrid.WebhookDelivery{{EventID: 1, CaseID: 1, Type: "case.report",
		Payload: []byte(`{}`), NextAttempt: now, CreatedAt: now}}); err != nil || !ok {
		e.t.Fatalf("enqueue: %v %v", ok, err)
	}
	ds, err := e.db.Deliveries(ctx, h.ID, "", 1)
	if err != nil || len(ds) != 1 {
		e.t.Fatalf("deliveries: %v %v", ds, err)
	}
	if err := e.db.RecordDeliveryAttempt(ctx, ds[0].ID, civicgrid.DeliveryAttempt{State: civicgrid.DeliveryDead, Attempts: 8, NextAttempt: now, At: now}); err != nil {
		e.t.Fatal(err)
	}
	return ds[0].ID
}
