package civicgrid

import (
	"context"
	"crypto/rand"
	"net/url"
	"path"
	"strings"
	"time"
)

// Account kinds: staff accounts are made by admins (or come from area imports),
// residents sign up themselves with a phone number.
const (
	KindStaff    = "staff"
	KindResident = "resident"
)

// User is a person with (possibly) an account.
type User struct {
	ID                 int64       `json:"id"`
	Name               string      `json:"name"`
	Phone              string      `json:"phone"`
	Kind               string      `json:"kind"`
	HasPassword        bool        `json:"has_password"`
	ExternalLogin      bool        `json:"external_login"` // an OIDC identity is linked
	MustChangePassword bool        `json:"must_change_password"`
	FailedLogins       int         `json:"failed_logins"`
	LockedUntil        time.Time   `json:"locked_until,omitzero"`
	CreatedAt          time.Time   `json:"created_at"`
	Grants             []RoleGrant `json:"grants"`
}

// Areas are the area codes of the user's grants: where the person "lies" for
// scope tests.
func (u User) Areas() []string {
	out := make([]string, 0, len(u.Grants))
	for _, g := range u.Grants {
		out = append(out, g.AreaCode)
	}
	return out
}

// CanLogIn reports whether the person can log in at all (a password or a
// linked OIDC identity): only they can take a case on. Grid workers listed
// in an area import have no login until an admin gives them one.
func (u User) CanLogIn() bool { return u.HasPassword || u.ExternalLogin }

// Object is the user as the target of an access decision.
// Grants is never nil, so a refusal never describes the person.
func (u User) Object() Object {
	return Object{Areas: u.Areas(), Owner: u.ID, Grants: append([]RoleGrant{}, u.Grants...)}
}

// Actor is the user acting through a session.
func (u User) Actor() Actor {
	return Actor{UserID: u.ID, Name: u.Name, Phone: u.Phone, Grants: u.Grants, Via: "session", MustChangePassword: u.MustChangePassword}
}

// Masked returns a copy with name and phone masked, as every view shows them
// unless a role unmasks them with a logged action.
func (u User) Masked() User {
	u.Name = MaskName(u.Name)
	u.Phone = MaskPhone(u.Phone)
	return u
}

// Grant says, for bulk seeding, that the person with this phone holds a role.
type Grant struct {
	Name     string
	Phone    string
	Role     string
	AreaCode string
	Detail   string
}

// UserFilter selects users for staff lists.
type UserFilter struct {
	// Within lists the subtrees: users holding a grant in any of them. No
	// subtree means no users (a forgotten scope shows nobody), unless All.
	Within []string
	All    bool   // every user (operators' tools only)
	Role   string // only holders of this role
	// CanLogIn keeps only people with a password or a linked identity.
	CanLogIn bool
	Limit    int
	After    int64 // keyset pagination: ids above this
}

// Session is a logged-in browser. Its secret lives only in the cookie; the
// store keeps a hash.
type Session struct {
	ID         int64
	UserID     int64
	CSRFToken  string
	Via        string // how the user logged in: password, oidc
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
}

// SecurityEvent is an entry of the security audit log. Entries are only ever
// appended.
type SecurityEvent struct {
	ID           int64     `json:"id"`
	At           time.Time `json:"at"`
	Kind         string    `json:"kind"`    // e.g. login.failed, role.granted
	Outcome      string    `json:"outcome"` // ok, denied, failed
	ActorID      int64     `json:"actor_id,omitempty"`
	Actor        string    `json:"actor"` // masked label
	TargetUserID int64     `json:"target_user_id,omitempty"`
	AreaCode     string    `json:"area_code,omitempty"` // where the event belongs, for auditors' scope
	IP           string    `json:"ip,omitempty"`
	Detail       string    `json:"detail,omitempty"`
}

// Security event kinds.
const (
	EventLoginOK         = "login.ok"
	EventLoginFailed     = "login.failed"
	EventLoginLocked     = "login.locked" // the failure that locked the account
	EventLoginThrottled  = "login.throttled"
	EventLogout          = "logout"
	EventSignup          = "account.signup"
	EventUserCreated     = "account.created"
	EventPasswordChanged = "password.changed"
	// EventPasswordChangeFailed is a wrong current password given to change
	// it; it counts toward the lockout like a failed login.
	EventPasswordChangeFailed = "password.change_failed"
	EventPasswordReset        = "password.reset"
	EventAccountUnlocked      = "account.unlocked"
	EventRoleGranted          = "role.granted"
	EventRoleRevoked          = "role.revoked"
	EventRoleDenied           = "role.denied"
	EventTokenCreated         = "token.created"
	EventTokenRevoked         = "token.revoked"
	EventUnmask               = "personal_data.unmasked"
	EventCSRFRejected         = "csrf.rejected"
	EventOIDCLogin            = "oidc.login"
	EventAccessDenied         = "access.denied"
)

// Outcomes of security events.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
	OutcomeFailed = "failed"
)

// EventFilter selects security events for auditors.
type EventFilter struct {
	Within   []string // area subtrees; an auditor of a city also sees events tied to no area
	Kind     string
	Since    time.Time
	Until    time.Time
	BeforeID int64 // keyset pagination, newest first
	Limit    int
}

// BuildingRoleKind is one of the configurable building roles (两长四员).
type BuildingRoleKind struct {
	Key    string `json:"key"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
}

// Signup is what a resident gives to open an account: the phone, the
// one-time code sent to it, a name, a password and, optionally, the code of
// the building they live in.
type Signup struct {
	Phone, Code, Name, Password, BuildingCode string
}

// LoginAttempts is what a refused login tells about the lockout: the wrong
// passwords this client may still give for the phone before it is locked
// for LockFor (after Max in a row), and while it is, until when. It is
// counted per phone and client, never from the account, so it says nothing
// about whether the phone has an account.
type LoginAttempts struct {
	Left, Max   int
	LockFor     time.Duration
	LockedUntil time.Time
}

// LoginRecord is what a login needs to know about an account.
type LoginRecord struct {
	User         User
	PasswordHash string // PHC string; "" when no password is set
}

// IdentityStore keeps accounts, grants, sessions, one-time codes and the
// security log. Methods that change something take the security event that
// records it and write both in one transaction.
type IdentityStore interface {
	CreateUser(ctx context.Context, u User, passwordHash string, grants []RoleGrant, ev SecurityEvent) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	LoginRecordByPhone(ctx context.Context, phone string) (LoginRecord, error)
	ListUsers(ctx context.Context, f UserFilter) ([]User, error)
	SetPassword(ctx context.Context, userID int64, hash string, mustChange bool, ev SecurityEvent) error
	// RecordLoginFailure counts a failed password; at maxFailures in a row it
	// locks the account for lockFor and returns the lock's end.
	RecordLoginFailure(ctx context.Context, userID int64, maxFailures int, lockFor time.Duration, ev SecurityEvent) (failures int, lockedUntil time.Time, err error)
	Unlock(ctx context.Context, userID int64, ev SecurityEvent) error
	AddGrant(ctx context.Context, g RoleGrant, ev SecurityEvent) (RoleGrant, error)
	RevokeGrant(ctx context.Context, userID, grantID int64, ev SecurityEvent) error

	// CreateSession stores a new session (the old one, if any, is the
	// caller's to delete) and returns the cookie secret.
	CreateSession(ctx context.Context, s Session, ev SecurityEvent) (secret string, stored Session, err error)
	// SessionUser returns a live session with its user and the user's grants;
	// unknown, expired and idle sessions are EUNAUTHORIZED alike. Seen-time
	// is refreshed at most once a minute.
	SessionUser(ctx context.Context, secret string, idle time.Duration) (Session, User, error)
	DeleteSession(ctx context.Context, secret string, ev *SecurityEvent) error

	// CreateOneTimeCode stores a code for a phone and purpose, refusing (ETHROTTLED)
	// when one was made less than minGap ago.
	CreateOneTimeCode(ctx context.Context, phone, purpose, code string, ttl, minGap time.Duration) error
	// ConsumeOneTimeCode checks a code; a match uses it up; wrong guesses count
	// and the code dies after maxAttempts.
	ConsumeOneTimeCode(ctx context.Context, phone, purpose, code string, maxAttempts int) error

	AppendSecurityEvent(ctx context.Context, ev SecurityEvent) error
	ListSecurityEvents(ctx context.Context, f EventFilter) ([]SecurityEvent, error)

	BuildingRoleKinds(ctx context.Context) ([]BuildingRoleKind, error)
	AddBuildingRoleKind(ctx context.Context, k BuildingRoleKind, ev SecurityEvent) error

	// LinkIdentity ties an external login (OIDC issuer and subject) to a user.
	LinkIdentity(ctx context.Context, issuer, subject string, userID int64) error
	UserByIdentity(ctx context.Context, issuer, subject string) (User, error)

	// PurgePersonalData removes personal data past its retention: expired
	// sessions and codes, and IP addresses in security events before cutoff.
	PurgePersonalData(ctx context.Context, cutoff time.Time) (PurgeResult, error)
}

// PurgeResult counts what a purge removed.
type PurgeResult struct {
	Sessions int64 `json:"sessions"`
	Codes    int64 `json:"one_time_codes"`
	EventIPs int64 `json:"security_event_ips"`
	// Cases are finished cases, older than the cutoff, whose reporter name,
	// phone and address were erased (the reporter's account link stays, so
	// they still see their own history).
	Cases int64 `json:"cases"`
}

// TokenStore keeps API tokens.
type TokenStore interface {
	CreateAPIToken(ctx context.Context, t APIToken, ev SecurityEvent) (secret string, stored APIToken, err error)
	// AuthenticateAPIToken returns the active token with this secret, or an
	// EUNAUTHORIZED error for unknown, expired and revoked ones alike.
	AuthenticateAPIToken(ctx context.Context, secret string) (APIToken, error)
	APITokenByID(ctx context.Context, id int64) (APIToken, error)
	ListAPITokens(ctx context.Context, createdBy int64, within []string) ([]APIToken, error)
	RevokeAPIToken(ctx context.Context, id int64, ev SecurityEvent) error
}

// LocalRedirect returns p as a path on this site to send a browser to (after
// a login, or back from a form), or false when p could lead elsewhere.
// Browsers drop tabs and newlines from an address, read a backslash as a
// slash and take "//host" for another site, so only a plain absolute path
// with an optional query survives, with its dot segments resolved:
// "/./\evil.example/" and "/\t/evil.example/" are refused.
func LocalRedirect(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") || len(p) > 2048 {
		return "", false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return "", false
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.Fragment != "" {
		return "", false
	}
	clean := path.Clean(u.EscapedPath())
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if !strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") {
		return "", false
	}
	if u.RawQuery != "" {
		clean += "?" + u.RawQuery
	}
	return clean, true
}

// readableAlphabet makes codes people read aloud and type from paper
// without confusing characters (no 0/O, 1/I/L).
const readableAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// ReadableCode returns n random characters of the readable alphabet
// (about 4.95 bits each): tickets, door codes, certificate codes.
func ReadableCode(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = readableAlphabet[int(b[i])%len(readableAlphabet)]
	}
	return string(b)
}

// NormalizeCode turns what a scanner read or a person typed into a
// readable code: upper case, without spaces.
func NormalizeCode(c string) string {
	return strings.ToUpper(strings.Join(strings.Fields(c), ""))
}
