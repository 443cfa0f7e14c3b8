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
	// Cursor is the last case event considered for this hook.
	Cursor int64 `json:"-"`
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
	ID          int64         `json:"id"`
	WebhookID   int64         `json:"webhook_id"`
	EventID     int64         `json:"event_id"`
	CaseID      int64         `json:"case_id"`
	Type        string        `json:"type"` // "case." + action
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
