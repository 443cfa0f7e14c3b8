package sms

import (
	"container/list"
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/civicgrid/civicgrid"
)

// devKeep bounds DevSender's memory; a demo never needs more.
const devKeep = 1000

// DevSender is for development only: it logs messages instead of sending
// them and remembers the last one per phone so demos and tests can read
// codes. The log names the phone masked (138****5678), like every other log
// line: a development run may still hold real numbers. New refuses it in
// production.
type DevSender struct {
	log *slog.Logger

	mu    sync.Mutex
	order *list.List               // of devEntry, oldest first
	byKey map[string]*list.Element // phone → element in order
}

type devEntry struct{ phone, message string }

// NewDevSender returns a DevSender logging to log (slog.Default() if nil).
func NewDevSender(log *slog.Logger) *DevSender {
	if log == nil {
		log = slog.Default()
	}
	return &DevSender{log: log, order: list.New(), byKey: map[string]*list.Element{}}
}

// Name returns "development".
func (*DevSender) Name() string { return "development" }

// Send logs the masked phone and the message at WARN level and keeps the
// message for Last.
// Phone is validated like a real send so development matches production.
func (d *DevSender) Send(ctx context.Context, phone, message string) error {
	p, err := Normalize(phone)
	if err != nil {
		return err
	}
	if message == "" {
		return errors.New("sms: empty message")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	d.log.WarnContext(ctx, "DEVELOPMENT SMS SENDER — not delivered", "phone", civicgrid.MaskPhone(p), "message", message)

	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.byKey[p]; ok {
		e.Value = devEntry{p, message}
		d.order.MoveToBack(e)
		return nil
	}
	d.byKey[p] = d.order.PushBack(devEntry{p, message})
	if d.order.Len() > devKeep {
		oldest := d.order.Front()
		d.order.Remove(oldest)
		delete(d.byKey, oldest.Value.(devEntry).phone)
	}
	return nil
}

// Last returns the last message sent to phone, if still remembered.
func (d *DevSender) Last(phone string) (string, bool) {
	p, err := Normalize(phone)
	if err != nil {
		return "", false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.byKey[p]; ok {
		return e.Value.(devEntry).message, true
	}
	return "", false
}
