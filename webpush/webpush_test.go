package webpush

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/webhook"
)

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecryptRFC8291Example pins the receiving side to the worked example
// of RFC 8291 (section 5 and appendix A): the user agent's key and secret
// open the RFC's message to the RFC's plaintext.
func TestDecryptRFC8291Example(t *testing.T) {
	ua, err := ecdh.P256().NewPrivateKey(b64(t, "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"))
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(ua.PublicKey().Bytes()); got != "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4" {
		t.Fatalf("ua_public %s", got)
	}
	auth := b64(t, "BTBZMqHH6r4Tts7J_aSIgg")
	body := b64(t, "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN")
	got, err := Decrypt(ua, auth, body)
	if err != nil {
		t.Fatal(err)
	}
	if want := "When I grow up, I want to be a watermelon"; string(got) != want {
		t.Fatalf("plaintext %q, want %q", got, want)
	}
	// One changed byte of the record fails authentication.
	body[len(body)-1] ^= 1
	if _, err := Decrypt(ua, auth, body); err == nil {
		t.Error("a changed record decrypted")
	}
}

// TestPushRoundTrip: what Push sends opens with the browser's key to the
// payload, and carries a VAPID header a push service accepts.
func TestPushRoundTrip(t *testing.T) {
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	ua, _ := ecdh.P256().GenerateKey(rand.Reader)
	auth := make([]byte, 16)
	rand.Read(auth)
	var got []byte
	var vapidErr error
	status := http.StatusCreated
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, vapidErr = VerifyVAPID(r.Header.Get("Authorization"), key.PublicKey(), "https://"+r.Host, time.Now())
		got, err = Decrypt(ua, auth, body)
		if r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
			t.Errorf("headers %v", r.Header)
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	s, err := New(Config{Key: key, Subject: "mailto:ops@example.org", AllowPrivate: true, RootCAs: roots})
	if err != nil {
		t.Fatal(err)
	}
	sub := civicgrid.PushSubscription{Endpoint: srv.URL + "/push/1", P256DH: base64.RawURLEncoding.EncodeToString(ua.PublicKey().Bytes()),
		Auth: base64.RawURLEncoding.EncodeToString(auth)}
	if err := s.Push(context.Background(), sub, []byte(`{"title":"已立案"}`)); err != nil {
		t.Fatal(err)
	}
	if string(got) != `{"title":"已立案"}` || vapidErr != nil {
		t.Fatalf("received %q, VAPID %v", got, vapidErr)
	}
	status = http.StatusGone
	if err := s.Push(context.Background(), sub, []byte("x")); !s.IsGone(err) {
		t.Errorf("410: %v, want gone", err)
	}
	status = http.StatusInternalServerError
	if err := s.Push(context.Background(), sub, []byte("x")); err == nil || s.IsGone(err) || strings.Contains(err.Error(), srv.URL) {
		t.Errorf("500: %v", err)
	}

	// Without the allowance the loopback receiver is refused when stored
	// and never dialled.
	strict, err := New(Config{Key: key, Subject: "mailto:ops@example.org", RootCAs: roots,
		Resolver: webhook.StaticResolver{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := strict.CheckEndpoint(context.Background(), sub.Endpoint); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("loopback endpoint: %v", err)
	}
	if err := strict.Push(context.Background(), sub, []byte("x")); err == nil || !strings.Contains(err.Error(), "not a public address") {
		t.Errorf("push to loopback: %v", err)
	}
	if err := strict.CheckEndpoint(context.Background(), "http://push.example.org/x"); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("http endpoint: %v", err)
	}
}

// TestLoadKeyKeepsTheKey: the key file is made once (0600) and read back
// the same, so subscriptions survive restarts; a broken file is an error.
func TestLoadKeyKeepsTheKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vapid.key")
	a, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadKey(path)
	if err != nil || a.PublicKey() != b.PublicKey() {
		t.Fatalf("reloaded %v %v", b, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	os.WriteFile(path, []byte("not a key"), 0o600)
	if _, err := LoadKey(path); err == nil {
		t.Error("a broken key file was accepted")
	}
}
