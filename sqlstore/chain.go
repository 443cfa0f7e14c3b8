package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/civicgrid/civicgrid"
)

// nextLink returns the sequence number and previous hash of a subject's
// next event in a hash-chained history (civicgrid.LinkHash): last selects
// the seq and hash of the subject's latest event, if any. Every chained
// history (case events, co-governance events) appends through here, inside
// the transaction of the change, after that transaction has taken the
// subject's row lock, so two writers never fork a chain.
func nextLink(ctx context.Context, tx *Tx, last string, args ...any) (int, string, error) {
	var seq int
	var hash string
	err := tx.QueryRowContext(ctx, last, args...).Scan(&seq, &hash)
	switch {
	case err == nil:
		return seq + 1, hash, nil
	case errors.Is(err, sql.ErrNoRows):
		return 1, civicgrid.GenesisHash, nil
	}
	return 0, "", err
}

// eventData is a chained event's Data as stored: JSON with sorted keys, ""
// when empty (as the event's hash reads it).
func eventData(d map[string]string) string {
	if len(d) == 0 {
		return ""
	}
	b, _ := json.Marshal(d)
	return string(b)
}

// parseEventData reads a chained event's stored Data back.
func parseEventData(data string, into *map[string]string) error {
	if data == "" {
		return nil
	}
	return json.Unmarshal([]byte(data), into)
}

// eachRun calls fn with each run of events of one subject (events sorted
// by subject, then seq): a module's chains one after the other, for verify.
func eachRun[E any, K comparable](evs []E, key func(E) K, fn func(K, []E) error) error {
	for start := 0; start < len(evs); {
		end := start
		for end < len(evs) && key(evs[end]) == key(evs[start]) {
			end++
		}
		if err := fn(key(evs[start]), evs[start:end]); err != nil {
			return err
		}
		start = end
	}
	return nil
}
