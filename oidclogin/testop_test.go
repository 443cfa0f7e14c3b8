package oidclogin

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	testClientID     = "civicgrid-staff"
	testClientSecret = "s3cret/with+odd&chars"
	testRedirectURL  = "https://civicgrid.example.org/auth/oidc/callback"
	testKeyID        = "key-1"
)

// Keys are generated once per run: 2048-bit RSA takes noticeable time.
var (
	opKey    *rsa.PrivateKey // published in the JWKS
	rogueKey *rsa.PrivateKey // never published
)

func TestMain(m *testing.M) {
	var err error
	if opKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if rogueKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// testOP is a minimal OpenID provider speaking real HTTP.
type testOP struct {
	srv *httptest.Server
	// issuerOverride, if set, is what discovery claims as issuer.
	issuerOverride string

	mu         sync.Mutex
	grants     map[string]grant
	tokenCalls int
}

// grant is what the provider remembers between /authorize and /token.
type grant struct {
	clientID, redirectURI string
	challenge, method     string
	nonce                 string
	tweak                 func(claims map[string]any) // edits the ID token claims
	signWith              *rsa.PrivateKey
}

func newTestOP(t *testing.T) *testOP {
	t.Helper()
	op := &testOP{grants: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.discovery)
	mux.HandleFunc("GET /jwks", op.jwks)
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "interactive login not simulated", http.StatusNotImplemented)
	})
	mux.HandleFunc("POST /token", op.token)
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	return op
}

func (op *testOP) issuer() string { return op.srv.URL }

func (op *testOP) calls() int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.tokenCalls
}

func (op *testOP) discovery(w http.ResponseWriter, r *http.Request) {
	iss := op.issuer()
	if op.issuerOverride != "" {
		iss = op.issuerOverride
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                op.issuer() + "/authorize",
		"token_endpoint":                        op.issuer() + "/token",
		"jwks_uri":                              op.issuer() + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (op *testOP) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &opKey.PublicKey, KeyID: testKeyID, Algorithm: string(jose.RS256), Use: "sig",
	}}})
}

// authorize plays the browser's visit to authURL: it records the request's
// PKCE challenge and nonce under a fresh code and returns that code.
func (op *testOP) authorize(t *testing.T, authURL string, tweak func(map[string]any), signWith *rsa.PrivateKey) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("parse auth URL: %v", err)
	}
	q := u.Query()
	if q.Get("response_type") != "code" {
		t.Fatalf("response_type = %q", q.Get("response_type"))
	}
	code := rand.Text()
	op.mu.Lock()
	defer op.mu.Unlock()
	op.grants[code] = grant{
		clientID:    q.Get("client_id"),
		redirectURI: q.Get("redirect_uri"),
		challenge:   q.Get("code_challenge"),
		method:      q.Get("code_challenge_method"),
		nonce:       q.Get("nonce"),
		tweak:       tweak,
		signWith:    signWith,
	}
	return code
}

func (op *testOP) token(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	op.tokenCalls++
	op.mu.Unlock()

	fail := func(status int, code, desc string) {
		writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
	}
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		fail(http.StatusBadRequest, "unsupported_grant_type", r.PostForm.Get("grant_type"))
		return
	}
	// client_secret_basic form-encodes both parts before base64 (RFC 6749 2.3.1).
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	if !ok || id != testClientID || secret != testClientSecret {
		fail(http.StatusUnauthorized, "invalid_client", "bad client credentials")
		return
	}

	code := r.PostForm.Get("code")
	op.mu.Lock()
	g, found := op.grants[code]
	delete(op.grants, code) // codes are single use
	op.mu.Unlock()
	if !found || g.clientID != id {
		fail(http.StatusBadRequest, "invalid_grant", "unknown code")
		return
	}
	if r.PostForm.Get("redirect_uri") != g.redirectURI {
		fail(http.StatusBadRequest, "invalid_grant", "redirect_uri mismatch")
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	if g.method != "S256" || subtle.ConstantTimeCompare([]byte(got), []byte(g.challenge)) != 1 {
		fail(http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		return
	}

	accessToken := rand.Text()
	atSum := sha256.Sum256([]byte(accessToken))
	now := time.Now()
	claims := map[string]any{
		"iss":            op.issuer(),
		"sub":            "staff-42",
		"aud":            testClientID,
		"iat":            now.Unix(),
		"exp":            now.Add(5 * time.Minute).Unix(),
		"nonce":          g.nonce,
		"at_hash":        base64.RawURLEncoding.EncodeToString(atSum[:16]),
		"email":          "ada@civicgrid.example.org",
		"email_verified": true,
		"name":           "Ada Lovelace",
	}
	if g.tweak != nil {
		g.tweak(claims)
	}
	key := opKey
	if g.signWith != nil {
		key = g.signWith
	}
	idToken, err := signJWT(key, claims)
	if err != nil {
		fail(http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": accessToken,
		"token_type":   "Bearer",
		"expires_in":   300,
		"id_token":     idToken,
	})
}

// signJWT always claims the published key id, so a foreign key is only caught
// by the signature check.
func signJWT(key *rsa.PrivateKey, claims map[string]any) (string, error) {
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", testKeyID),
	)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(fmt.Sprintf("encode response: %v", err))
	}
}
