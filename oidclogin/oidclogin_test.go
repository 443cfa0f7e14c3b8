package oidclogin

import (
	"context"
	"crypto/rsa"
	"errors"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func testConfig(op *testOP) Config {
	return Config{
		Issuer:       op.issuer(),
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		RedirectURL:  testRedirectURL,
	}
}

func newTestProvider(t *testing.T, op *testOP) *Provider {
	t.Helper()
	p, err := New(t.Context(), testConfig(op))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// login runs a flow up to the callback and returns what Finish returns.
func login(t *testing.T, tweak func(map[string]any), signWith *rsa.PrivateKey) (Identity, error) {
	t.Helper()
	op := newTestOP(t)
	p := newTestProvider(t, op)
	f := mustFlow(t)
	code := op.authorize(t, p.AuthCodeURL(f), tweak, signWith)
	return p.Finish(t.Context(), f, f.State, code)
}

func mustFlow(t *testing.T) Flow {
	t.Helper()
	f, err := NewFlow()
	if err != nil {
		t.Fatalf("NewFlow: %v", err)
	}
	return f
}

func TestFinishHappyPath(t *testing.T) {
	t.Parallel()
	op := newTestOP(t)
	p := newTestProvider(t, op)
	f := mustFlow(t)
	code := op.authorize(t, p.AuthCodeURL(f), nil, nil)

	id, err := p.Finish(t.Context(), f, f.State, code)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	want := Identity{
		Issuer:        op.issuer(),
		Subject:       "staff-42",
		Email:         "ada@civicgrid.example.org",
		Name:          "Ada Lovelace",
		EmailVerified: true,
	}
	if id != want {
		t.Errorf("identity = %+v, want %+v", id, want)
	}
}

func TestFinishClaimVariants(t *testing.T) {
	t.Parallel()
	id, err := login(t, func(c map[string]any) {
		c["email_verified"] = "false" // some providers send strings
		delete(c, "name")
		c["given_name"], c["family_name"] = "Grace", "Hopper"
	}, nil)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if id.EmailVerified || id.Name != "Grace Hopper" {
		t.Errorf("identity = %+v", id)
	}
}

func TestFinishStateMismatch(t *testing.T) {
	t.Parallel()
	op := newTestOP(t)
	p := newTestProvider(t, op)
	f := mustFlow(t)
	code := op.authorize(t, p.AuthCodeURL(f), nil, nil)

	_, err := p.Finish(t.Context(), f, f.State+"x", code)
	if !errors.Is(err, ErrStateMismatch) {
		t.Fatalf("err = %v, want ErrStateMismatch", err)
	}
	if op.calls() != 0 {
		t.Errorf("token endpoint called %d times before the state check", op.calls())
	}
	// An empty stored flow must not match an empty callback state.
	if _, err := p.Finish(t.Context(), Flow{}, "", code); !errors.Is(err, ErrIncompleteFlow) {
		t.Errorf("empty flow: err = %v, want ErrIncompleteFlow", err)
	}
}

func TestFinishNonceMismatch(t *testing.T) {
	t.Parallel()
	_, err := login(t, func(c map[string]any) { c["nonce"] = "replayed-nonce" }, nil)
	if !errors.Is(err, ErrNonceMismatch) {
		t.Fatalf("err = %v, want ErrNonceMismatch", err)
	}
	_, err = login(t, func(c map[string]any) { delete(c, "nonce") }, nil)
	if !errors.Is(err, ErrNonceMismatch) {
		t.Fatalf("missing nonce: err = %v, want ErrNonceMismatch", err)
	}
}

func TestFinishWrongAudience(t *testing.T) {
	t.Parallel()
	_, err := login(t, func(c map[string]any) { c["aud"] = "some-other-app" }, nil)
	if !errors.Is(err, ErrIDToken) || !strings.Contains(err.Error(), "audience") {
		t.Fatalf("err = %v, want audience rejection", err)
	}
}

func TestFinishAuthorizedParty(t *testing.T) {
	t.Parallel()
	_, err := login(t, func(c map[string]any) {
		c["aud"] = []string{testClientID, "some-other-app"}
		c["azp"] = "some-other-app"
	}, nil)
	if !errors.Is(err, ErrIDToken) || !strings.Contains(err.Error(), "authorized party") {
		t.Fatalf("err = %v, want azp rejection", err)
	}
}

func TestFinishExpiredToken(t *testing.T) {
	t.Parallel()
	_, err := login(t, func(c map[string]any) {
		c["iat"] = time.Now().Add(-time.Hour).Unix()
		c["exp"] = time.Now().Add(-time.Minute).Unix()
	}, nil)
	var expired *oidc.TokenExpiredError
	if !errors.Is(err, ErrIDToken) || !errors.As(err, &expired) {
		t.Fatalf("err = %v, want expiry rejection", err)
	}
}

func TestFinishWrongIssuerClaim(t *testing.T) {
	t.Parallel()
	_, err := login(t, func(c map[string]any) { c["iss"] = "https://evil.example.com" }, nil)
	if !errors.Is(err, ErrIDToken) || !strings.Contains(err.Error(), "issued by a different provider") {
		t.Fatalf("err = %v, want issuer rejection", err)
	}
}

func TestFinishForeignSigningKey(t *testing.T) {
	t.Parallel()
	_, err := login(t, nil, rogueKey)
	if !errors.Is(err, ErrIDToken) || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("err = %v, want signature rejection", err)
	}
}

func TestFinishBadAccessTokenHash(t *testing.T) {
	t.Parallel()
	_, err := login(t, func(c map[string]any) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }, nil)
	if !errors.Is(err, ErrIDToken) || !strings.Contains(err.Error(), "at_hash") {
		t.Fatalf("err = %v, want at_hash rejection", err)
	}
}

func TestFinishWrongPKCEVerifier(t *testing.T) {
	t.Parallel()
	op := newTestOP(t)
	p := newTestProvider(t, op)
	f := mustFlow(t)
	code := op.authorize(t, p.AuthCodeURL(f), nil, nil)

	tampered := f
	tampered.Verifier = mustFlow(t).Verifier
	_, err := p.Finish(t.Context(), tampered, f.State, code)
	var re *oauth2.RetrieveError
	if !errors.Is(err, ErrExchange) || !errors.As(err, &re) {
		t.Fatalf("err = %v, want exchange failure", err)
	}
	if re.Response.StatusCode != 400 || re.ErrorCode != "invalid_grant" {
		t.Errorf("token endpoint said %d %q, want 400 invalid_grant", re.Response.StatusCode, re.ErrorCode)
	}
	// The advertised auth method is used, so oauth2 does not retry with another.
	if op.calls() != 1 {
		t.Errorf("token endpoint called %d times, want 1", op.calls())
	}
}

func TestFinishCodeReuse(t *testing.T) {
	t.Parallel()
	op := newTestOP(t)
	p := newTestProvider(t, op)
	f := mustFlow(t)
	code := op.authorize(t, p.AuthCodeURL(f), nil, nil)
	if _, err := p.Finish(t.Context(), f, f.State, code); err != nil {
		t.Fatalf("first Finish: %v", err)
	}
	if _, err := p.Finish(t.Context(), f, f.State, code); !errors.Is(err, ErrExchange) {
		t.Fatalf("second Finish: err = %v, want ErrExchange", err)
	}
}

func TestNewUnreachableIssuer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(nil)
	issuer := srv.URL
	srv.Close() // nothing listens there now

	cfg := Config{Issuer: issuer, ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: testRedirectURL}
	_, err := New(t.Context(), cfg)
	if err == nil || !strings.Contains(err.Error(), "discovery") {
		t.Fatalf("err = %v, want discovery failure", err)
	}
}

func TestNewIssuerMismatch(t *testing.T) {
	t.Parallel()
	op := newTestOP(t)
	op.issuerOverride = "https://other-tenant.example.com"
	_, err := New(t.Context(), testConfig(op))
	if err == nil || !strings.Contains(err.Error(), "issuer mismatch") {
		t.Fatalf("err = %v, want issuer mismatch", err)
	}
}

func TestNewRespectsContext(t *testing.T) {
	t.Parallel()
	op := newTestOP(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := New(ctx, testConfig(op)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestNewConfigValidation(t *testing.T) {
	t.Parallel()
	op := newTestOP(t)
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"missing issuer", func(c *Config) { c.Issuer = "" }, "missing issuer"},
		{"http issuer", func(c *Config) { c.Issuer = "http://idp.example.com" }, "must use https"},
		{"missing client id", func(c *Config) { c.ClientID = "" }, "missing client id"},
		{"missing client secret", func(c *Config) { c.ClientSecret = "" }, "missing client secret"},
		{"missing redirect", func(c *Config) { c.RedirectURL = "" }, "missing redirect URL"},
		{"relative redirect", func(c *Config) { c.RedirectURL = "/auth/oidc/callback" }, "not an absolute"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(op)
			tc.mutate(&cfg)
			_, err := New(t.Context(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	op := newTestOP(t)
	p := newTestProvider(t, op)
	f := mustFlow(t)

	u, err := url.Parse(p.AuthCodeURL(f))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, op.issuer()+"/authorize"; got != want {
		t.Errorf("endpoint = %q, want %q", got, want)
	}
	q := u.Query()
	checks := map[string]string{
		"response_type":         "code",
		"client_id":             testClientID,
		"redirect_uri":          testRedirectURL,
		"state":                 f.State,
		"nonce":                 f.Nonce,
		"code_challenge_method": "S256",
		"code_challenge":        oauth2.S256ChallengeFromVerifier(f.Verifier),
	}
	for k, want := range checks {
		if got := q.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if scopes := strings.Fields(q.Get("scope")); !equalSets(scopes, []string{"openid", "profile", "email"}) {
		t.Errorf("scope = %q, want openid profile email", q.Get("scope"))
	}
	if q.Has("code_verifier") {
		t.Error("verifier leaked into the auth URL")
	}

	// Custom scopes still get openid.
	cfg := testConfig(op)
	cfg.Scopes = []string{"email", "groups"}
	p2, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	u2, _ := url.Parse(p2.AuthCodeURL(f))
	if got := u2.Query().Get("scope"); got != "openid email groups" {
		t.Errorf("custom scope = %q", got)
	}
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			return false
		}
	}
	return true
}

func TestNewFlow(t *testing.T) {
	t.Parallel()
	urlSafe := regexp.MustCompile(`^[A-Za-z0-9_-]{43,}$`) // ≥ 256 bits, and a valid PKCE verifier
	seen := map[string]bool{}
	for range 50 {
		f := mustFlow(t)
		for _, v := range []string{f.State, f.Nonce, f.Verifier} {
			if !urlSafe.MatchString(v) {
				t.Fatalf("value %q is not 43+ URL-safe characters", v)
			}
			if seen[v] {
				t.Fatalf("value %q repeated", v)
			}
			seen[v] = true
		}
	}
}

func TestCallbackError(t *testing.T) {
	t.Parallel()
	if err := CallbackError(url.Values{"code": {"abc"}, "state": {"xyz"}}); err != nil {
		t.Fatalf("no error param: got %v", err)
	}

	q, _ := url.ParseQuery("error=access_denied&error_description=The+user+cancelled&state=xyz")
	err := CallbackError(q)
	var pe *ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *ProviderError", err)
	}
	if pe.Code != "access_denied" || pe.Description != "The user cancelled" {
		t.Errorf("got %+v", pe)
	}
	if !strings.Contains(err.Error(), "access_denied") {
		t.Errorf("message %q does not name the error code", err)
	}

	// Provider text is untrusted: newlines must not reach logs raw.
	err = CallbackError(url.Values{"error": {"x"}, "error_description": {"a\nFAKE LOG LINE"}})
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("message contains a raw newline: %q", err)
	}
}
