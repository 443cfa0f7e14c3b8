// Package oidclogin lets staff log in through an external OpenID Connect
// provider using the authorization code flow with PKCE.
//
// A login has two halves. Start: call [NewFlow], keep the [Flow] somewhere
// only this browser can bring back (a short-lived, HttpOnly, Secure,
// SameSite=Lax cookie, or server side), and redirect to
// [Provider.AuthCodeURL]. Callback: check [CallbackError], then call
// [Provider.Finish] with the stored Flow and the "state" and "code" query
// parameters. Discard the Flow afterwards, whatever the outcome, so it cannot
// be replayed.
package oidclogin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Errors returned by Finish, wrapped with detail; test with errors.Is.
var (
	ErrIncompleteFlow = errors.New("oidclogin: flow is missing state, nonce or verifier")
	ErrStateMismatch  = errors.New("oidclogin: state mismatch")
	ErrMissingCode    = errors.New("oidclogin: callback has no code")
	ErrExchange       = errors.New("oidclogin: code exchange failed")
	ErrNoIDToken      = errors.New("oidclogin: token response has no id_token")
	ErrIDToken        = errors.New("oidclogin: ID token rejected")
	ErrNonceMismatch  = errors.New("oidclogin: nonce mismatch")
)

// defaultHTTPTimeout bounds calls to the provider when the caller's context
// brings no client; go-oidc fetches signing keys in the background, where the
// caller's deadline does not reach.
const defaultHTTPTimeout = 30 * time.Second

// Config describes the client registration at the provider.
type Config struct {
	Issuer       string // provider URL; discovery at Issuer + "/.well-known/openid-configuration"
	ClientID     string
	ClientSecret string
	RedirectURL  string   // e.g. https://civicgrid.example.org/auth/oidc/callback
	Scopes       []string // default: openid, profile, email
}

// Provider is a discovered OpenID provider, safe for concurrent use.
type Provider struct {
	clientID string
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	client   *http.Client
}

// New runs discovery (a network call) and returns a ready provider.
//
// To use a custom HTTP client (proxy, TLS roots), put it in ctx under
// oauth2.HTTPClient; it is kept for all later calls to the provider.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	client, _ := ctx.Value(oauth2.HTTPClient).(*http.Client)
	if client == nil {
		client = &http.Client{Timeout: defaultHTTPTimeout}
	}

	op, err := oidc.NewProvider(oidc.ClientContext(ctx, client), cfg.Issuer)
	if err != nil {
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			return nil, fmt.Errorf("oidclogin: issuer mismatch: configured %q, provider says %q", mismatch.Provided, mismatch.Discovered)
		}
		return nil, fmt.Errorf("oidclogin: discovery at %q failed: %w", cfg.Issuer, err)
	}

	var meta struct {
		AuthURL     string   `json:"authorization_endpoint"`
		TokenURL    string   `json:"token_endpoint"`
		JWKSURL     string   `json:"jwks_uri"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := op.Claims(&meta); err != nil {
		return nil, fmt.Errorf("oidclogin: reading discovery document: %w", err)
	}
	// go-oidc accepts documents without these; fail here rather than at the first login.
	switch {
	case meta.AuthURL == "":
		return nil, errors.New("oidclogin: discovery document has no authorization_endpoint")
	case meta.TokenURL == "":
		return nil, errors.New("oidclogin: discovery document has no token_endpoint")
	case meta.JWKSURL == "":
		return nil, errors.New("oidclogin: discovery document has no jwks_uri")
	}

	endpoint := op.Endpoint()
	// Pick the advertised client auth method so a failed exchange is not
	// silently retried with the other method.
	switch {
	case slices.Contains(meta.AuthMethods, "client_secret_basic"):
		endpoint.AuthStyle = oauth2.AuthStyleInHeader
	case slices.Contains(meta.AuthMethods, "client_secret_post"):
		endpoint.AuthStyle = oauth2.AuthStyleInParams
	}

	scopes := slices.Clone(cfg.Scopes) // the caller may reuse its slice
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail}
	} else if !slices.Contains(scopes, oidc.ScopeOpenID) {
		// Without openid the provider returns no ID token.
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}

	// The verifier's key fetches outlive any one request, so they get a
	// background context that carries only the client.
	keyCtx := oidc.ClientContext(context.Background(), client)
	return &Provider{
		clientID: cfg.ClientID,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Endpoint:     endpoint,
			Scopes:       scopes,
		},
		verifier: op.VerifierContext(keyCtx, &oidc.Config{ClientID: cfg.ClientID}),
		client:   client,
	}, nil
}

func (c Config) validate() error {
	if c.Issuer == "" {
		return errors.New("oidclogin: missing issuer")
	}
	iu, err := url.Parse(c.Issuer)
	if err != nil || iu.Host == "" {
		return fmt.Errorf("oidclogin: issuer %q is not an absolute URL", c.Issuer)
	}
	// OIDC requires https; plain http is only tolerated on loopback for development.
	if iu.Scheme != "https" && !(iu.Scheme == "http" && isLoopback(iu.Hostname())) {
		return fmt.Errorf("oidclogin: issuer %q must use https", c.Issuer)
	}
	if c.ClientID == "" {
		return errors.New("oidclogin: missing client id")
	}
	if c.ClientSecret == "" {
		return errors.New("oidclogin: missing client secret")
	}
	if c.RedirectURL == "" {
		return errors.New("oidclogin: missing redirect URL")
	}
	ru, err := url.Parse(c.RedirectURL)
	if err != nil || ru.Host == "" || (ru.Scheme != "https" && ru.Scheme != "http") {
		return fmt.Errorf("oidclogin: redirect URL %q is not an absolute http(s) URL", c.RedirectURL)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Flow holds the per-login secrets that must survive the redirect round trip
// (the server keeps them in a short-lived, HttpOnly cookie, or server side).
type Flow struct {
	State, Nonce, Verifier string
}

// NewFlow makes fresh random values (256 bits each, base64url without padding).
func NewFlow() (Flow, error) {
	var f Flow
	for _, p := range []*string{&f.State, &f.Nonce, &f.Verifier} {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return Flow{}, fmt.Errorf("oidclogin: reading randomness: %w", err)
		}
		// 32 bytes encode to 43 characters, the PKCE verifier minimum.
		*p = base64.RawURLEncoding.EncodeToString(b)
	}
	return f, nil
}

// AuthCodeURL is where to send the browser: state, nonce and a PKCE S256
// challenge included.
func (p *Provider) AuthCodeURL(f Flow) string {
	return p.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
}

// Identity is who the provider says logged in.
type Identity struct {
	Issuer, Subject, Email, Name string
	EmailVerified                bool
	// Phone and PhoneVerified come from the standard phone_number claims; a
	// verified phone may link a first login to a staff account.
	Phone         string
	PhoneVerified bool
}

// Finish completes a callback: it checks state, exchanges the code with the
// PKCE verifier, verifies the ID token (signature, issuer, audience, expiry)
// and its nonce, and returns the identity. Errors wrap one of the Err values.
func (p *Provider) Finish(ctx context.Context, f Flow, gotState, code string) (Identity, error) {
	// Empty values would make the comparisons below trivially true.
	if f.State == "" || f.Nonce == "" || f.Verifier == "" {
		return Identity{}, ErrIncompleteFlow
	}
	if !equal(gotState, f.State) {
		return Identity{}, ErrStateMismatch
	}
	if code == "" {
		return Identity{}, ErrMissingCode
	}

	ctx = oidc.ClientContext(ctx, p.client)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrExchange, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, ErrNoIDToken
	}

	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrIDToken, err)
	}
	// go-oidc leaves the nonce to the caller; it binds the token to this browser's login.
	if idt.Nonce == "" || !equal(idt.Nonce, f.Nonce) {
		return Identity{}, ErrNonceMismatch
	}
	if idt.Subject == "" {
		return Identity{}, fmt.Errorf("%w: no subject", ErrIDToken)
	}
	// at_hash is optional in the code flow, but if present it must match.
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return Identity{}, fmt.Errorf("%w: at_hash: %w", ErrIDToken, err)
		}
	}

	var claims struct {
		AuthorizedParty string   `json:"azp"`
		Email           string   `json:"email"`
		EmailVerified   flexBool `json:"email_verified"`
		Name            string   `json:"name"`
		GivenName       string   `json:"given_name"`
		FamilyName      string   `json:"family_name"`
		Phone           string   `json:"phone_number"`
		PhoneVerified   flexBool `json:"phone_number_verified"`
	}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: decoding claims: %w", ErrIDToken, err)
	}
	// go-oidc only checks that we are among the audiences, not that the token
	// was issued to us (OIDC Core 3.1.3.7 steps 4-5).
	if (len(idt.Audience) > 1 || claims.AuthorizedParty != "") && claims.AuthorizedParty != p.clientID {
		return Identity{}, fmt.Errorf("%w: authorized party %q is not this client", ErrIDToken, claims.AuthorizedParty)
	}

	name := claims.Name
	if name == "" {
		name = strings.TrimSpace(claims.GivenName + " " + claims.FamilyName)
	}
	return Identity{
		Issuer:        idt.Issuer,
		Subject:       idt.Subject,
		Email:         claims.Email,
		Name:          name,
		EmailVerified: bool(claims.EmailVerified),
		Phone:         claims.Phone,
		PhoneVerified: bool(claims.PhoneVerified),
	}, nil
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// flexBool accepts true/false as JSON booleans or strings, since some
// providers send email_verified as "true".
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`, "null":
		*b = false
	default:
		return fmt.Errorf("invalid boolean %s", data)
	}
	return nil
}

// ProviderError is an error the provider reported on the redirect back.
// Its fields come from the query string, so they are attacker controlled.
type ProviderError struct {
	Code        string // e.g. access_denied, login_required
	Description string
}

func (e *ProviderError) Error() string {
	if e.Description == "" {
		return fmt.Sprintf("oidclogin: provider returned error %q", e.Code)
	}
	return fmt.Sprintf("oidclogin: provider returned error %q: %q", e.Code, e.Description)
}

// maxParam keeps logged provider text bounded.
const maxParam = 200

func clip(s string) string {
	if len(s) <= maxParam {
		return s
	}
	return strings.ToValidUTF8(s[:maxParam], "") + "…"
}

// CallbackError turns the callback's error/error_description parameters into
// a *ProviderError, or returns nil if there is no error parameter.
func CallbackError(q url.Values) error {
	if !q.Has("error") {
		return nil
	}
	code := clip(q.Get("error"))
	if code == "" {
		code = "unknown_error"
	}
	return &ProviderError{Code: code, Description: clip(q.Get("error_description"))}
}
