package civicgrid

import (
	"context"
	"strings"
	"time"
)

// Notifications tell people what happened without their opening the site:
// a resident hears that a report was registered, dispatched, handled or
// rejected, a grid worker that a case was dispatched to them or escalated
// in their grid. Every message lands in the recipient's in-app inbox and,
// unless they opted out or hit the hourly limit, goes out by SMS too.
//
// A notification comes from a source (a case event today; volunteer
// requests, notices and care visits later) and is made once per source and
// recipient: Source and Recipient together are unique.

// Notification is one message to one person.
type Notification struct {
	ID     int64 `json:"id"`
	UserID int64 `json:"-"` // the recipient
	// Kind says what happened, e.g. "case.registered"; Source is what it
	// came from, unique with the recipient, e.g. "case_event:812".
	Kind   string `json:"kind"`
	Source string `json:"-"`
	// Title and Body are in the recipient's language, written when made.
	Title string `json:"title"`
	Body  string `json:"body"`
	// Link is a local path to act on (the case page, the inbox).
	Link      string    `json:"link,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ReadAt    time.Time `json:"read_at,omitzero"`
	// SMS is where the text message stands.
	SMS SMSState `json:"sms"`
	// PushPending marks a new message to be pushed to the recipient's
	// browsers (set when made, cleared when taken for sending).
	PushPending bool `json:"-"`
}

// Read reports whether the recipient has marked it read.
func (n Notification) Read() bool { return !n.ReadAt.IsZero() }

// Object is the notification as the target of an access decision: it
// belongs to its recipient alone.
func (n Notification) Object() Object { return Object{Owner: n.UserID} }

// SMSState is where a notification's text message stands.
type SMSState string

// SMSCost is what text messages cost: how many were sent and how many
// billed messages (segments) they took.
type SMSCost struct {
	Sent     int `json:"sent"`
	Segments int `json:"segments"`
}

// SMSSegments is how many billed messages a text takes (the gateways bill
// by segment): in the GSM 7-bit alphabet 160 characters in one, 153 per
// part when longer; with any other character (Chinese) in UCS-2, 70 in
// one, 67 per part when longer (characters outside the BMP count two).
func SMSSegments(text string) int {
	gsm, n, units := true, 0, 0
	for _, r := range text {
		n++
		units++
		if r > 0xFFFF {
			units++
		}
		if !strings.ContainsRune(gsm7, r) {
			gsm = false
		}
	}
	switch {
	case n == 0:
		return 0
	case gsm && n <= 160:
		return 1
	case gsm:
		return (n + 152) / 153
	case units <= 70:
		return 1
	}
	return (units + 66) / 67
}

// gsm7 is the GSM 03.38 basic character set (the extension table's
// characters count two and are taken as not GSM here, to stay on the
// safe side of the bill).
const gsm7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

const (
	SMSNone     SMSState = "none"      // inbox only: the kind is not sent by SMS, or no phone
	SMSPending  SMSState = "pending"   // waiting to be sent
	SMSSending  SMSState = "sending"   // claimed by a sender until its lease ends
	SMSSent     SMSState = "sent"      // the gateway took it
	SMSOptedOut SMSState = "opted_out" // the recipient turned SMS off
	SMSLimited  SMSState = "limited"   // over the recipient's hourly limit: inbox only
	SMSFailed   SMSState = "failed"    // the gateway refused it (or kept failing)
)

// NotificationPrefs are a person's choices about messages.
type NotificationPrefs struct {
	UserID int64 `json:"-"`
	// SMSOff stops text messages; the inbox still gets everything.
	SMSOff bool `json:"sms_off"`
	// PushOff stops browser push to every device of the person while
	// keeping their subscriptions (turning one device off deletes its
	// subscription instead).
	PushOff bool `json:"push_off"`
	// Lang is the language messages are written in ("" means zh-CN).
	Lang string `json:"lang,omitempty"`
}

// NotificationFilter selects one person's notifications, newest first.
type NotificationFilter struct {
	UserID     int64
	UnreadOnly bool
	Before     int64 // ids below this (keyset paging)
	Limit      int
}

// OutgoingSMS is a notification whose text message is due, with what
// sending needs to know about its recipient.
type OutgoingSMS struct {
	Notification
	Attempts int
}

// NotificationStore keeps inboxes, preferences and the SMS queue. Producers
// walk an event log by a named cursor: AddNotifications moves the cursor
// and stores what the stretch of the log made in one transaction.
type NotificationStore interface {
	// NotificationCursor is where the named producer stands in its log (0
	// when it has not started).
	NotificationCursor(ctx context.Context, name string) (int64, error)
	// AddNotifications stores ns and moves the producer's cursor from
	// `from` to `to`; it stores nothing and returns false if the cursor
	// was no longer at `from` (another instance took the stretch). A
	// notification whose source and recipient are already stored is
	// skipped.
	AddNotifications(ctx context.Context, name string, from, to int64, ns []Notification) (bool, error)
	Notifications(ctx context.Context, f NotificationFilter) ([]Notification, error)
	Notification(ctx context.Context, id int64) (Notification, error)
	UnreadNotifications(ctx context.Context, userID int64) (int, error)
	// MarkNotificationsRead marks the user's notifications read: the given
	// ones, or every unread one when ids is empty. It returns how many
	// changed.
	MarkNotificationsRead(ctx context.Context, userID int64, ids []int64, at time.Time) (int, error)
	NotificationPrefs(ctx context.Context, userID int64) (NotificationPrefs, error)
	// NotificationLangs returns the language preferences of users (those
	// without one are left out).
	NotificationLangs(ctx context.Context, userIDs []int64) (map[int64]string, error)
	SetNotificationPrefs(ctx context.Context, p NotificationPrefs) error
	// ClaimSMS takes up to limit pending text messages and decides each in
	// one transaction: opted out, over perHour messages sent to the
	// recipient in the hour before now (limited), or leased until lease
	// for the caller to send.
	ClaimSMS(ctx context.Context, now, lease time.Time, perHour, limit int) ([]OutgoingSMS, error)
	// RecordSMS stores the outcome of sending (sent, failed, or pending
	// again with the next attempt at retryAt) and, for one sent, how many
	// billed messages it took (SMSSegments).
	RecordSMS(ctx context.Context, id int64, state SMSState, attempts, segments int, at, retryAt time.Time) error
	// SMSCost counts the text messages sent for the notifications of
	// these sources, and the billed messages they took.
	SMSCost(ctx context.Context, sources []string) (SMSCost, error)
	PushStore
}

// PushSubscription is one browser's subscription to Web Push (RFC 8030):
// the push service's endpoint URL and the keys the browser made to read
// what is sent there (RFC 8291). An endpoint belongs to one person.
type PushSubscription struct {
	ID       int64  `json:"id"`
	UserID   int64  `json:"-"`
	Endpoint string `json:"endpoint"`
	// P256DH is the browser's P-256 public key and Auth its 16-byte
	// authentication secret, both base64url as the browser gives them.
	P256DH    string    `json:"-"`
	Auth      string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	// Session is the secret of the login session it is made in (none with
	// a bearer token): the subscription ends with that session.
	Session string `json:"-"`
}

// Object is the subscription as the target of an access decision: it
// belongs to its subscriber alone.
func (p PushSubscription) Object() Object { return Object{Owner: p.UserID} }

// OutgoingPush is a new notification to push to its recipient's devices.
type OutgoingPush struct {
	Notification
	Subscriptions []PushSubscription
}

// MaxPushSubscriptions is how many browsers one person receives push in;
// a new one beyond it replaces the oldest. It bounds the requests one
// message makes (anyone with an account can name an endpoint).
const MaxPushSubscriptions = 10

// PushStore keeps push subscriptions and hands out the notifications due
// for push.
type PushStore interface {
	// AddPushSubscription stores a subscription, or updates the keys of
	// the same person's one with that endpoint; an endpoint already held
	// by another person is a conflict and changes nothing. The person's
	// oldest subscriptions beyond MaxPushSubscriptions are deleted.
	AddPushSubscription(ctx context.Context, p PushSubscription) (PushSubscription, error)
	PushSubscriptions(ctx context.Context, userID int64) ([]PushSubscription, error)
	PushSubscriptionByEndpoint(ctx context.Context, endpoint string) (PushSubscription, error)
	DeletePushSubscription(ctx context.Context, id int64) error
	// TakePush takes up to limit notifications waiting for push, each with
	// its recipient's subscriptions, and marks them taken in the same
	// transaction: a push is sent at most once (the inbox keeps the
	// message). Those of people who turned push off or have no
	// subscription are marked without being returned.
	TakePush(ctx context.Context, limit int) ([]OutgoingPush, error)
}
