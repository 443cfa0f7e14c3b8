package webhook_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/webhook"
)

func TestSignVerify(t *testing.T) {
	secret := []byte("whsec_test")
	body := []byte(`{"id":1,"type":"case.report"}`)
	at := time.Unix(1_800_000_000, 0)
	sig := webhook.Sign(secret, at, body)
	if err := webhook.Verify(secret, sig, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	for name, tc := range map[string]struct {
		secret []byte
		header string
		body   []byte
		now    time.Time
	}{
		"body changed":    {secret, sig, []byte(`{"id":2,"type":"case.report"}`), at},
		"other secret":    {[]byte("whsec_other"), sig, body, at},
		"too old":         {secret, sig, body, at.Add(6 * time.Minute)},
		"from the future": {secret, sig, body, at.Add(-6 * time.Minute)},
		"malformed":       {secret, "v1=abc", body, at},
		"time changed":    {secret, strings.Replace(sig, "t=1800000000", "t=1800000001", 1), body, at},
	} {
		if err := webhook.Verify(tc.secret, tc.header, tc.body, tc.now, 5*time.Minute); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

func TestLoadKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "webhook.key")
	k1, err := webhook.LoadKey(path)
	if err != nil || len(k1) != 32 {
		t.Fatalf("new key: %d bytes, %v", len(k1), err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi.Mode(), err)
	}
	k2, err := webhook.LoadKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("key not kept: %v", err)
	}
	os.WriteFile(path, []byte("short\n"), 0o600)
	if _, err := webhook.LoadKey(path); err == nil {
		t.Error("a malformed key file was accepted")
	}
	if _, err := webhook.New(webhook.Config{Key: []byte("short")}, nil, nil); err == nil {
		t.Error("a short key was accepted")
	}
}

// TestPrivateAddressRefused: unless allowed, a hook whose name resolves to
// a loopback address is refused at connection time (not only at creation),
// and the attempt is recorded as failed.
func TestPrivateAddressRefused(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, t.TempDir())
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit = true }))
	t.Cleanup(srv.Close)
	// "localhost" with a port would be refused by Create; store the hook
	// directly, as if its DNS name had been public when it was made.
	h, err := db.CreateWebhook(ctx, civicgrid.Webhook{Name: "x", URL: srv.URL, Within: "420100", SecretSalt: "00"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if ok, err := db.EnqueueDeliveries(ctx, h.ID, h.Cursor, h.Cursor, []civicgrid.WebhookDelivery{{EventID: 1, CaseID: 1,
		Type: "case.report", Payload: []byte(`{}`), NextAttempt: now, CreatedAt: now}}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	svc, err := webhook.New(webhook.Config{Key: bytes.Repeat([]byte{3}, 32)}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.DeliverDue(ctx); n != 1 || err != nil {
		t.Fatalf("deliver: %d %v", n, err)
	}
	ds, _ := db.Deliveries(ctx, h.ID, "", 10)
	if hit || len(ds) != 1 || ds[0].State != civicgrid.DeliveryPending || !strings.Contains(ds[0].LastError, "not a public address (loopback)") {
		t.Fatalf("hit %v, deliveries %+v", hit, ds)
	}
}
