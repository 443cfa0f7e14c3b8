package civicgrid

import (
	"context"
	"strings"
	"time"
)

// Roles civicgrid knows so far. A role is always held over an area's subtree.
const (
	RoleGridWorker    = "grid_worker"
	RoleCityAdmin     = "city_admin"
	RoleDistrictAdmin = "district_admin"
)

// APIToken is a credential for integrations and the admin API. Its secret is
// shown once at creation; only a hash is stored.
type APIToken struct {
	ID        int64
	Name      string
	Role      string
	AreaCode  string // the token acts over this area's subtree
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never
	RevokedAt time.Time // zero: active
}

// Covers reports whether code lies in the token's scope (a prefix test).
func (t APIToken) Covers(code string) bool { return strings.HasPrefix(code, t.AreaCode) }

// TokenStore keeps API tokens.
type TokenStore interface {
	CreateAPIToken(ctx context.Context, t APIToken) (secret string, id int64, err error)
	// AuthenticateAPIToken returns the active token with this secret, or an
	// EUNAUTHORIZED error for unknown, expired and revoked ones alike.
	AuthenticateAPIToken(ctx context.Context, secret string) (APIToken, error)
	RevokeAPIToken(ctx context.Context, id int64) error
}
