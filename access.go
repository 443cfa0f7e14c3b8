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

// Action names something an actor may ask to do.
type Action string

const (
	ActionImportAreas Action = "areas.import"
	ActionExportAreas Action = "areas.export"
)

// policy lists, per action, the roles that may take it within their scope.
var policy = map[Action][]string{
	ActionImportAreas: {RoleCityAdmin, RoleDistrictAdmin},
	ActionExportAreas: {RoleCityAdmin, RoleDistrictAdmin},
}

// Authorize is the one place that decides whether a token may take an action
// on an object in the area with the given code: its role must be allowed the
// action, and the code must lie in the token's area subtree.
func Authorize(t APIToken, action Action, code string) error {
	for _, role := range policy[action] {
		if role == t.Role {
			if !t.Covers(code) {
				return Errorf(EFORBIDDEN, "%s: area %s lies outside this token's scope %s", action, code, t.AreaCode)
			}
			return nil
		}
	}
	return Errorf(EFORBIDDEN, "%s: not allowed for role %s", action, t.Role)
}

// Grant says that a person holds a role over an area's subtree.
type Grant struct {
	Name     string
	Phone    string
	Role     string
	AreaCode string
}
