package notify

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/civicgrid/civicgrid"
)

// Browser push: each new message also goes to the browsers the recipient
// turned notifications on in, unless they paused push. A push is a nudge,
// sent at most once; the inbox keeps the message. A push service's "gone"
// (404, 410) deletes the subscription; other failures are logged and not
// retried.

// PushPayload is what the service worker receives (decrypted): the words
// in the recipient's language and the local path to open.
type PushPayload struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url"`
	// Tag lets a browser replace an older message of the same
	// notification instead of stacking a second one.
	Tag string `json:"tag"`
}

// PushKey is the VAPID public key pages subscribe with, or "" when push
// is off.
func (s *Service) PushKey() string {
	if s.cfg.Push == nil {
		return ""
	}
	return s.cfg.Push.PublicKey()
}

// PushSubscriptions lists the actor's own subscriptions.
func (s *Service) PushSubscriptions(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.PushSubscription, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadNotifications, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return nil, err
	}
	return s.store.PushSubscriptions(ctx, actor.UserID)
}

// Subscribe stores a browser's subscription for the actor, after checking
// its keys and its endpoint (https, a public address).
func (s *Service) Subscribe(ctx context.Context, actor civicgrid.Actor, sub civicgrid.PushSubscription) (civicgrid.PushSubscription, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionPushSubscriptions, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return sub, err
	}
	if s.cfg.Push == nil {
		return sub, civicgrid.Errorf(civicgrid.ECONFLICT, "browser push is not set up on this server")
	}
	var problems []civicgrid.Problem
	bad := func(kind, detail string) {
		problems = append(problems, civicgrid.Problem{Index: -1, Kind: kind, Detail: detail})
	}
	if err := s.cfg.Push.CheckEndpoint(ctx, sub.Endpoint); err != nil {
		bad("endpoint", err.Error())
	}
	if b, err := decodeKey(sub.P256DH); err != nil {
		bad("p256dh", "keys.p256dh: want the browser's P-256 public key, base64url")
	} else if _, err := ecdh.P256().NewPublicKey(b); err != nil {
		bad("p256dh", "keys.p256dh: not a point on P-256")
	}
	if b, err := decodeKey(sub.Auth); err != nil || len(b) != 16 {
		bad("auth", "keys.auth: want 16 bytes, base64url")
	}
	if len(problems) > 0 {
		details := make([]string, len(problems))
		for i, p := range problems {
			details[i] = p.Detail
		}
		return sub, &civicgrid.Error{Code: civicgrid.EINVALID, Message: strings.Join(details, "; "), Problems: problems}
	}
	sub.UserID, sub.CreatedAt = actor.UserID, s.now()
	return s.store.AddPushSubscription(ctx, sub)
}

// decodeKey reads a key as browsers write it: base64url, padded or not.
func decodeKey(v string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
}

// Unsubscribe deletes the actor's subscription at endpoint. Another
// person's is "not found", so endpoints reveal nothing.
func (s *Service) Unsubscribe(ctx context.Context, actor civicgrid.Actor, endpoint string) error {
	if err := civicgrid.Authorize(actor, civicgrid.ActionPushSubscriptions, civicgrid.Object{Owner: actor.UserID}); err != nil {
		return err
	}
	sub, err := s.store.PushSubscriptionByEndpoint(ctx, endpoint)
	if err != nil {
		return err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionPushSubscriptions, sub.Object()); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EFORBIDDEN {
			return civicgrid.Errorf(civicgrid.ENOTFOUND, "no such push subscription")
		}
		return err
	}
	return s.store.DeletePushSubscription(ctx, sub.ID)
}

// pushWorkers is how many pushes are in flight at once, so that a slow or
// silent push service holds up the loop (and the text messages after it)
// for one timeout per batch rather than one per push.
const pushWorkers = 8

// PushDue pushes the new messages to their recipients' browsers; it
// returns how many pushes the push services took.
func (s *Service) PushDue(ctx context.Context) (int, error) {
	if s.cfg.Push == nil {
		return 0, nil
	}
	sent := 0
	for {
		due, err := s.store.TakePush(ctx, 64)
		if err != nil || len(due) == 0 {
			return sent, err
		}
		var (
			mu   sync.Mutex
			gone []int64
			wg   sync.WaitGroup
			sem  = make(chan struct{}, pushWorkers)
		)
		for _, m := range due {
			payload, err := json.Marshal(PushPayload{Title: m.Title, Body: m.Body, URL: m.Link, Tag: "notification-" + strconv.FormatInt(m.ID, 10)})
			if err != nil {
				return sent, err
			}
			for _, sub := range m.Subscriptions {
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					err := s.cfg.Push.Push(ctx, sub, payload)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						sent++
					case s.cfg.Push.IsGone(err):
						gone = append(gone, sub.ID)
					case ctx.Err() == nil:
						// Endpoints are capability URLs: the log names the
						// subscription, not its address.
						s.cfg.Log.Warn("push failed, not retried", "notification", m.ID, "subscription", sub.ID, "error", err)
					}
				})
			}
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		for _, id := range gone {
			s.cfg.Log.Info("push subscription gone, deleted", "subscription", id)
			if err := s.store.DeletePushSubscription(ctx, id); err != nil {
				return sent, err
			}
		}
	}
}
