package civicgrid

import (
	"context"
	"time"
)

// Outbound webhooks: an integration (a department's own system, a city
// hotline platform) subscribes to the changes of cases in an area and
// receives each as a signed HTTP POST, retried until it answers 2xx or is
// dead-lettered.

// Webhook is one subscription.
type Webhook struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
	// Within is the area whose cases it hears of (a city, district … grid).
	Within string `json:"within"`
	// Actions limits it to some steps (register, close …); none means all.
	Actions   []CaseAction `json:"actions,omitempty"`
	CreatedBy int64        `json:"created_by,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	Disabled  bool         `json:"disabled"`
	// SecretSalt and the server's webhook key derive the signing secret;
	// the secret itself is never stored.
	SecretSalt string `json:"-"`
	// Cursor is the last case event considered for this hook; HelpCursor
	// the last volunteer-request event (volunteer.go).
	Cursor     int64 `json:"-"`
	HelpCursor int64 `json:"-"`
}

// Request event types a hook hears of (volunteer requests through the same
// subscriptions): an opening to volunteers, a volunteer taking it, giving
// it back, the service done, the request withdrawn or closed. A hook names
// them in Actions like case actions; a hook without Actions hears of all.
const (
	HookRequestOpened    = "request.opened"
	HookRequestTaken     = "request.taken"
	HookRequestReleased  = "request.released"
	HookRequestCompleted = "request.completed"
	HookRequestCancelled = "request.cancelled"
)

// HookRequestTypes are the request event types, in order.
var HookRequestTypes = []string{HookRequestOpened, HookRequestTaken, HookRequestReleased, HookRequestCompleted, HookRequestCancelled}

// WantsRequest reports whether the hook subscribes to a request event of
// type typ at a building.
func (h Webhook) WantsRequest(building, typ string) bool {
	if !InSubtree(h.Within, building) {
		return false
	}
	if len(h.Actions) == 0 {
		return true
	}
	for _, a := range h.Actions {
		if string(a) == typ {
			return true
		}
	}
	return false
}

// HookRequest is a volunteer request as a webhook carries it: what, where
// (the building and its community, never the exact address), when, the
// status — no names, no phone, no note.
type HookRequest struct {
	ID           int64      `json:"id"`
	Service      string     `json:"service"`
	BuildingCode string     `json:"building_code"`
	Community    string     `json:"community_code"`
	Urgency      string     `json:"urgency"`
	Needs        []string   `json:"needs"`
	Status       HelpStatus `json:"status"`
	WindowStart  time.Time  `json:"window_start"`
	WindowEnd    time.Time  `json:"window_end"`
	OpenedAt     time.Time  `json:"opened_at,omitzero"`
	TakeBy       time.Time  `json:"take_by,omitzero"`
	Minutes      int        `json:"minutes,omitempty"`
}

// HookRequestEvent is one request event a hook may hear of.
type HookRequestEvent struct {
	ID      int64       `json:"id"`   // the event of the request's history
	Type    string      `json:"type"` // a HookRequestTypes
	At      time.Time   `json:"at"`
	Request HookRequest `json:"request"`
}

// HookRequestLog is volunteering's log as webhooks read it, by a cursor per
// hook.
type HookRequestLog interface {
	// HookEventsAfter returns the request events of HookRequestTypes after
	// the cursor (up to limit log entries read) and the cursor after the
	// last entry read.
	HookEventsAfter(ctx context.Context, cursor int64, limit int) ([]HookRequestEvent, int64, error)
}

// Wants reports whether the hook subscribes to an event of a case in grid.
func (h Webhook) Wants(grid string, action CaseAction) bool {
	if !InSubtree(h.Within, grid) {
		return false
	}
	if len(h.Actions) == 0 {
		return true
	}
	for _, a := range h.Actions {
		if a == action {
			return true
		}
	}
	return false
}

// DeliveryState is where a delivery stands.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "pending"   // waiting for its (next) attempt
	DeliveryDelivered DeliveryState = "delivered" // the receiver answered 2xx
	DeliveryDead      DeliveryState = "dead"      // attempts used up: dead-lettered until replayed
)

// WebhookDelivery is one case event on its way to one hook.
type WebhookDelivery struct {
	ID        int64  `json:"id"`
	WebhookID int64  `json:"webhook_id"`
	EventID   int64  `json:"event_id"`
	CaseID    int64  `json:"case_id"`
	Type      string `json:"type"` // "case." + action, or a request event type
	// Source is "case" (CaseID, EventID of the case log) or "request"
	// (CaseID is the request's id, EventID of the requests' log).
	Source      string        `json:"source"`
	Payload     []byte        `json:"-"`
	State       DeliveryState `json:"state"`
	Attempts    int           `json:"attempts"`
	NextAttempt time.Time     `json:"next_attempt_at"`
	LastStatus  int           `json:"last_status,omitempty"`
	LastError   string        `json:"last_error,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	DeliveredAt time.Time     `json:"delivered_at,omitzero"`
	// URL and SecretSalt are the hook's, filled in for sending.
	URL        string `json:"-"`
	SecretSalt string `json:"-"`
}

// DeliveryAttempt is the outcome of sending a delivery once.
type DeliveryAttempt struct {
	State       DeliveryState
	Attempts    int
	NextAttempt time.Time
	Status      int
	Error       string
	At          time.Time
}

// WebhookStore keeps hooks and their delivery queue. Deliveries are made
// from the case event log by a cursor per hook, so an event stored is an
// event delivered, even across a crash.
type WebhookStore interface {
	CaseEventLog
	CreateWebhook(ctx context.Context, h Webhook) (Webhook, error)
	Webhooks(ctx context.Context, includeDisabled bool) ([]Webhook, error)
	Webhook(ctx context.Context, id int64) (Webhook, error)
	DisableWebhook(ctx context.Context, id int64) error
	// EnqueueHelpDeliveries is EnqueueDeliveries for request events: it
	// moves the hook's HelpCursor, and the deliveries are of source
	// "request" (their CaseID the request's id).
	EnqueueHelpDeliveries(ctx context.Context, hookID, from, to int64, ds []WebhookDelivery) (bool, error)
	// EnqueueDeliveries adds deliveries and moves the hook's cursor from
	// `from` to `to` in one transaction; it adds nothing and returns false
	// if the cursor was no longer at `from` (another instance moved it).
	EnqueueDeliveries(ctx context.Context, hookID, from, to int64, ds []WebhookDelivery) (bool, error)
	// ClaimDueDeliveries returns up to limit pending deliveries due by now
	// and pushes their next attempt to lease, so no other worker takes
	// them meanwhile (and a crash mid-send retries after the lease).
	ClaimDueDeliveries(ctx context.Context, now, lease time.Time, limit int) ([]WebhookDelivery, error)
	RecordDeliveryAttempt(ctx context.Context, id int64, a DeliveryAttempt) error
	// NextDeliveryDue is the earliest next attempt of a pending delivery
	// (zero if none).
	NextDeliveryDue(ctx context.Context) (time.Time, error)
	Deliveries(ctx context.Context, hookID int64, state DeliveryState, limit int) ([]WebhookDelivery, error)
	// ReplayDeliveries puts deliveries of a hook (one, or with id 0 every
	// dead one) back in the queue with fresh attempts; it returns how many.
	ReplayDeliveries(ctx context.Context, hookID, deliveryID int64, now time.Time) (int, error)
}
