package civicgrid

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Risk early warning (风险预警): each day, per grid and category, the
// reports of the last days are compared with what the grid's own past
// leads one to expect, weekday pattern included; a count far above it is
// an alert, and so is one over a grid and its neighbours together (a
// cluster). Staff acknowledge an alert or dismiss it with a reason, and may
// open a case from it. The counts come from the indicator rollups; the
// method and its parameters are in docs/warnings.md.

// AlertKind says over what an alert was raised.
type AlertKind string

const (
	AlertGrid    AlertKind = "grid"    // one grid's count
	AlertCluster AlertKind = "cluster" // a grid and its neighbours (shared edges) together
)

// AlertStatus is where an alert stands.
type AlertStatus string

const (
	AlertOpen         AlertStatus = "open"
	AlertAcknowledged AlertStatus = "acknowledged" // seen and taken in hand
	AlertDismissed    AlertStatus = "dismissed"    // not a real rise, with a reason
)

// MaxAlertReason bounds a dismissal's reason.
const MaxAlertReason = 500

// Alert is one unusual count.
type Alert struct {
	ID       int64     `json:"id"`
	Kind     AlertKind `json:"kind"`
	Category string    `json:"category"`
	// Grid is the grid it was raised for (a cluster's centre); Grids all
	// the grids counted (the grid alone, or the cluster).
	Grid  string   `json:"grid"`
	Grids []string `json:"grids"`
	// Day is the last day counted (yyyy-mm-dd, Beijing time); the window
	// is the WindowDays days up to it.
	Day        string `json:"day"`
	WindowDays int    `json:"window_days"`
	// Observed reports in the window, Expected from the baseline; PValue
	// is the chance of at least Observed under the baseline, and the
	// alert was raised because it fell below Threshold.
	Observed    int64       `json:"observed"`
	Expected    float64     `json:"expected"`
	PValue      float64     `json:"p_value"`
	Threshold   float64     `json:"threshold"`
	Status      AlertStatus `json:"status"`
	Reason      string      `json:"reason,omitempty"`
	DecidedByID int64       `json:"-"`
	DecidedBy   string      `json:"decided_by,omitempty"` // masked label
	DecidedAt   time.Time   `json:"decided_at,omitzero"`
	CaseID      int64       `json:"case_id,omitempty"` // the case opened from it
	CreatedAt   time.Time   `json:"created_at"`
}

// Object is the alert as the object of an access decision: it lies in
// every grid it counts, so staff of any of them see it.
func (a Alert) Object() Object { return Object{Areas: a.Grids} }

// AlertDecision is a staff member's answer to an alert.
type AlertDecision struct {
	Status AlertStatus `json:"status"` // acknowledged or dismissed
	Reason string      `json:"reason"` // required to dismiss
}

// Check validates a decision, every problem named at once.
func (d *AlertDecision) Check() error {
	var probs []Problem
	d.Reason = strings.TrimSpace(d.Reason)
	switch d.Status {
	case AlertAcknowledged:
	case AlertDismissed:
		if d.Reason == "" {
			probs = append(probs, Problem{Index: -1, Kind: "reason", Detail: "a dismissal needs a reason (why this is not a real rise)"})
		}
	default:
		probs = append(probs, Problem{Index: -1, Kind: "status", Detail: "status must be acknowledged or dismissed"})
	}
	if !utf8.ValidString(d.Reason) {
		probs = append(probs, Problem{Index: -1, Kind: "reason", Detail: "reason is not valid UTF-8"})
	} else if n := utf8.RuneCountInString(d.Reason); n > MaxAlertReason {
		probs = append(probs, Problem{Index: -1, Kind: "reason", Detail: "reason: at most 500 characters"})
	}
	if len(probs) > 0 {
		return &Error{Code: EINVALID, Message: "the decision is not valid", Problems: probs}
	}
	return nil
}

// AlertFilter selects alerts: those touching the subtree of Scope, of a
// status ("" for all), newest first.
type AlertFilter struct {
	Scope  string
	Status AlertStatus
	Limit  int
}

// WarningStore keeps alerts.
type WarningStore interface {
	// SaveAlerts stores new alerts; one already stored for the same kind,
	// grid, category and day is kept as it is. It returns those stored now.
	SaveAlerts(ctx context.Context, as []Alert) ([]Alert, error)
	Alerts(ctx context.Context, f AlertFilter) ([]Alert, error)
	AlertByID(ctx context.Context, id int64) (Alert, error)
	// DecideAlert records a decision on an open alert (ECONFLICT if it is
	// decided already).
	DecideAlert(ctx context.Context, id int64, d AlertDecision, actorID int64, actor string, at time.Time) (Alert, error)
	// LinkAlertCase records the case opened from an alert (ECONFLICT if
	// one was opened already).
	LinkAlertCase(ctx context.Context, id, caseID int64) error
}
