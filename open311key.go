package civicgrid

import (
	"context"
	"time"
)

// Open311Key is an api_key of an Open311 client application (a city app,
// a hotline system). The key itself is shown once; afterwards only its
// first characters (Prefix) tell keys apart.
type Open311Key struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Prefix    string    `json:"prefix,omitempty"` // empty for keys made before prefixes were kept
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Open311KeyPrefix is the part of a key kept in clear: "o311_" and 7
// characters of its random part, enough to tell keys apart and far too
// few to guess the rest.
func Open311KeyPrefix(key string) string { return key[:min(len(key), 12)] }

// Security event kinds of Open311 keys.
const (
	EventOpen311KeyCreated = "open311_key.created"
	EventOpen311KeyRevoked = "open311_key.revoked"
)

// Open311KeyStore keeps Open311 api_keys (hashed).
type Open311KeyStore interface {
	// CreateOpen311Key makes a key; the key is returned only here.
	CreateOpen311Key(ctx context.Context, name string, ev SecurityEvent) (key string, id int64, err error)
	// Open311Keys lists every key, newest first.
	Open311Keys(ctx context.Context) ([]Open311Key, error)
	// RevokeOpen311Key ends a live key; ENOTFOUND if there is none.
	RevokeOpen311Key(ctx context.Context, id int64, ev SecurityEvent) error
}
