package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/oidclogin"
	"github.com/civicgrid/civicgrid/password"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sms"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// authSettings are the serve flags for logins, SMS, OIDC and retention.
type authSettings struct {
	production                           bool
	smsURL, smsToken, smsSignature       string
	oidcIssuer, oidcClient, oidcRedirect string
	secureCookies, trustProxy            bool
	sessionTTL, sessionIdle, lockFor     time.Duration
	maxFailures, perMinute               int
	retention                            time.Duration
}

func authFlags(fs *flag.FlagSet) *authSettings {
	a := &authSettings{}
	fs.BoolVar(&a.production, "production", os.Getenv("CIVICGRID_PRODUCTION") == "1", "production mode: refuse the development SMS sender (env CIVICGRID_PRODUCTION=1)")
	fs.StringVar(&a.smsURL, "sms-gateway-url", os.Getenv("CIVICGRID_SMS_GATEWAY_URL"), "HTTP SMS gateway for one-time codes (env CIVICGRID_SMS_GATEWAY_URL); empty: the development sender, which only logs codes")
	fs.StringVar(&a.smsToken, "sms-gateway-token", os.Getenv("CIVICGRID_SMS_GATEWAY_TOKEN"), "bearer token for the SMS gateway (env CIVICGRID_SMS_GATEWAY_TOKEN)")
	fs.StringVar(&a.smsSignature, "sms-signature", envOr("CIVICGRID_SMS_SIGNATURE", "【civicgrid】"), "registered SMS signature put before every message")
	fs.StringVar(&a.oidcIssuer, "oidc-issuer", os.Getenv("CIVICGRID_OIDC_ISSUER"), "OpenID Connect issuer URL for staff login (env CIVICGRID_OIDC_ISSUER); empty: off")
	fs.StringVar(&a.oidcClient, "oidc-client-id", os.Getenv("CIVICGRID_OIDC_CLIENT_ID"), "OIDC client id (env CIVICGRID_OIDC_CLIENT_ID); the secret comes from env CIVICGRID_OIDC_CLIENT_SECRET only")
	fs.StringVar(&a.oidcRedirect, "oidc-redirect-url", os.Getenv("CIVICGRID_OIDC_REDIRECT_URL"), "public URL of /auth/oidc/callback (env CIVICGRID_OIDC_REDIRECT_URL)")
	fs.BoolVar(&a.secureCookies, "secure-cookies", os.Getenv("CIVICGRID_SECURE_COOKIES") == "1", "mark cookies Secure (set when TLS ends at a proxy in front; direct TLS sets it anyway)")
	fs.BoolVar(&a.trustProxy, "trust-proxy", false, "take the client address from the last X-Forwarded-For hop (only behind a proxy that sets it)")
	fs.DurationVar(&a.sessionTTL, "session-ttl", 12*time.Hour, "absolute lifetime of a login session")
	fs.DurationVar(&a.sessionIdle, "session-idle", 2*time.Hour, "a session unused this long ends")
	fs.IntVar(&a.maxFailures, "lockout-failures", 5, "failed passwords in a row that lock an account")
	fs.DurationVar(&a.lockFor, "lockout-duration", 15*time.Minute, "how long a lockout lasts")
	fs.IntVar(&a.perMinute, "login-attempts-per-minute", 20, "logins, code requests, sign-ups and password resets one client address may make a minute before 429 (raise it where many people share one address)")
	fs.DurationVar(&a.retention, "personal-data-retention", 180*24*time.Hour, "after this long, IP addresses in the security log are blanked and finished cases lose their reporter names, phones and addresses; expired sessions and codes are deleted hourly")
	return a
}

// smsConfig chooses the text-message sender: the gateway when one is set,
// else the development sender (refused in production).
func (a *authSettings) smsConfig() sms.Config {
	c := sms.Config{Kind: "dev", Production: a.production, Signature: a.smsSignature}
	if a.smsURL != "" {
		c.Kind, c.GatewayURL, c.GatewayToken = "http", a.smsURL, a.smsToken
	}
	return c
}

// build turns the flags into the server's settings and its SMS and OIDC parts.
func (a *authSettings) build(ctx context.Context) (server.AuthConfig, sms.Sender, *oidclogin.Provider, error) {
	cfg := server.AuthConfig{SessionTTL: a.sessionTTL, SessionIdle: a.sessionIdle, MaxFailures: a.maxFailures, LockFor: a.lockFor,
		IPAttempts: a.perMinute, IPWindow: time.Minute,
		SecureCookie: a.secureCookies, TrustProxy: a.trustProxy, Password: password.Default}
	sender, err := sms.New(a.smsConfig(), slog.Default())
	if err != nil {
		return cfg, nil, nil, err
	}
	var provider *oidclogin.Provider
	if a.oidcIssuer != "" {
		provider, err = oidclogin.New(ctx, oidclogin.Config{Issuer: a.oidcIssuer, ClientID: a.oidcClient,
			ClientSecret: os.Getenv("CIVICGRID_OIDC_CLIENT_SECRET"), RedirectURL: a.oidcRedirect})
		if err != nil {
			return cfg, nil, nil, fmt.Errorf("oidc: %w", err)
		}
	}
	return cfg, sender, provider, nil
}

// purgeLoop applies the personal-data retention once an hour.
func purgeLoop(ctx context.Context, db *sqlstore.DB, retention time.Duration) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		res, err := db.PurgePersonalData(ctx, time.Now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			slog.Error("personal data purge", "err", err)
		} else if res.Sessions+res.Codes+res.EventIPs+res.Cases > 0 {
			slog.Info("personal data purged", "sessions", res.Sessions, "codes", res.Codes, "event_ips", res.EventIPs, "cases", res.Cases)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DemoPassword is the password of every demo account. It is published in the
// README: the demo city is for trying civicgrid, never for real data.
const DemoPassword = "civicgrid-demo"

// demoAccount is one demo login per role.
type demoAccount struct {
	phone, name, role, detail string
	categories                []string
	area                      func(d demoAreas) string
}

// demoAreas is the chain of areas the demo accounts sit in.
type demoAreas struct{ city, district, street, community, grid, building string }

var demoAccounts = []demoAccount{
	{"19900000001", "演示居民", civicgrid.RoleResident, "", nil, func(d demoAreas) string { return d.building }},
	{"19900000002", "演示骑手", civicgrid.RoleReporter, "外卖骑手一队", nil, func(d demoAreas) string { return d.district }},
	{"19900000003", "演示志愿者", civicgrid.RoleVolunteer, "", nil, func(d demoAreas) string { return d.community }},
	{"19900000004", "演示网格员", civicgrid.RoleGridWorker, "", nil, func(d demoAreas) string { return d.grid }},
	{"19900000005", "演示楼栋长", civicgrid.RoleBuilding, "building_head", nil, func(d demoAreas) string { return d.building }},
	{"19900000006", "演示社区工作者", civicgrid.RoleCommunityStaff, "", nil, func(d demoAreas) string { return d.community }},
	{"19900000007", "演示社区书记", civicgrid.RoleCommunitySecretary, "", nil, func(d demoAreas) string { return d.community }},
	{"19900000008", "演示街道派遣员", civicgrid.RoleStreetDispatcher, "", nil, func(d demoAreas) string { return d.street }},
	{"19900000009", "演示水务处置员", civicgrid.RoleDepartmentHandler, "", []string{"C0005", "01001"}, func(d demoAreas) string { return d.district }},
	{"19900000010", "演示区管理员", civicgrid.RoleDistrictAdmin, "", nil, func(d demoAreas) string { return d.district }},
	{"19900000011", "演示市管理员", civicgrid.RoleCityAdmin, "", nil, func(d demoAreas) string { return d.city }},
	{"19900000012", "演示审计员", civicgrid.RoleAuditor, "", nil, func(d demoAreas) string { return d.city }},
}

// firstDemoAreas picks the first building of the demo city and its ancestors.
func firstDemoAreas(ctx context.Context, db *sqlstore.DB) (demoAreas, error) {
	b, err := db.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelBuilding, Limit: 1})
	if err != nil {
		return demoAreas{}, err
	}
	if len(b) == 0 {
		return demoAreas{}, fmt.Errorf("the demo city has no buildings")
	}
	code := b[0].Code
	return demoAreas{city: "420100", district: code[:6], street: code[:9], community: code[:12], grid: code[:15], building: code}, nil
}

// seedDemoAccounts makes the demo accounts that do not exist yet.
func seedDemoAccounts(ctx context.Context, db *sqlstore.DB) error {
	areas, err := firstDemoAreas(ctx, db)
	if err != nil {
		return err
	}
	hash, err := password.Hash(DemoPassword, password.Default)
	if err != nil {
		return err
	}
	for _, d := range demoAccounts {
		if _, err := db.LoginRecordByPhone(ctx, d.phone); err == nil {
			continue
		}
		g := civicgrid.RoleGrant{Role: d.role, AreaCode: d.area(areas), Detail: d.detail, Categories: d.categories}
		if err := g.CheckShape(); err != nil {
			return fmt.Errorf("demo account %s: %w", d.role, err)
		}
		kind := civicgrid.KindStaff
		if info, _ := civicgrid.LookupRole(d.role); !info.Staff {
			kind = civicgrid.KindResident
		}
		_, err := db.CreateUser(ctx, civicgrid.User{Name: d.name, Phone: d.phone, Kind: kind}, hash, []civicgrid.RoleGrant{g},
			civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated, Actor: "cli", AreaCode: g.AreaCode, Detail: "demo account " + d.role})
		if err != nil {
			return fmt.Errorf("demo account %s: %w", d.role, err)
		}
	}
	return nil
}

func printDemoAccounts(w io.Writer, url string) {
	fmt.Fprintf(w, "\nDemo accounts (password %q), log in at %slogin:\n", DemoPassword, url)
	for _, d := range demoAccounts {
		fmt.Fprintf(w, "  %s  %s\n", d.phone, d.role)
	}
	fmt.Fprintf(w, "Sign up at %ssignup, reset a password at %sreset: text messages are not sent in the demo;\n"+
		"their codes appear in this log on a \"DEVELOPMENT SMS SENDER\" line.\n", url, url)
}
