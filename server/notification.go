package server

import (
	"net/http"
	"strconv"

	"github.com/civicgrid/civicgrid"
)

// Notifications: everyone reads and marks their own inbox and chooses
// whether messages also come by SMS. The notify service asks Authorize;
// someone else's notification is "not found".

func (s *Server) notificationRoutes(guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Notify == nil {
		return
	}
	guarded("GET", "/api/v1/notifications", civicgrid.ActionReadNotifications, s.handleListNotifications)
	guarded("POST", "/api/v1/notifications/read", civicgrid.ActionMarkNotifications, s.handleMarkAllNotifications)
	guarded("POST", "/api/v1/notifications/{id}/read", civicgrid.ActionMarkNotifications, s.handleMarkNotification)
	guarded("GET", "/api/v1/notifications/settings", civicgrid.ActionReadNotifications, s.handleNotificationSettings)
	guarded("PUT", "/api/v1/notifications/settings", civicgrid.ActionNotificationSettings, s.handleSetNotificationSettings)
	guarded("GET", "/api/v1/notifications/push", civicgrid.ActionReadNotifications, s.handlePushSubscriptions)
	guarded("POST", "/api/v1/notifications/push", civicgrid.ActionPushSubscriptions, s.handleSubscribePush)
	guarded("DELETE", "/api/v1/notifications/push", civicgrid.ActionPushSubscriptions, s.handleUnsubscribePush)
}

// handlePushSubscriptions: GET /api/v1/notifications/push gives the VAPID
// public key to subscribe with ("" when push is off) and the caller's
// subscriptions.
func (s *Server) handlePushSubscriptions(w http.ResponseWriter, r *http.Request) {
	subs, err := s.cfg.Notify.PushSubscriptions(r.Context(), actorFrom(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	if subs == nil {
		subs = []civicgrid.PushSubscription{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"public_key": s.cfg.Notify.PushKey(), "subscriptions": subs})
}

// pushSubscriptionJSON is a browser's PushSubscription.toJSON().
type pushSubscriptionJSON struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256DH string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// handleSubscribePush: POST /api/v1/notifications/push with the browser's
// subscription turns push on in that browser.
func (s *Server) handleSubscribePush(w http.ResponseWriter, r *http.Request) {
	var in pushSubscriptionJSON
	if err := decodeJSON(w, r, 8<<10, &in); err != nil {
		writeError(w, r, err)
		return
	}
	sub, err := s.cfg.Notify.Subscribe(r.Context(), actorFrom(r),
		civicgrid.PushSubscription{Endpoint: in.Endpoint, P256DH: in.Keys.P256DH, Auth: in.Keys.Auth, Session: principalFrom(r).secret})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"subscription": sub})
}

// handleUnsubscribePush: DELETE /api/v1/notifications/push {"endpoint": …}
// turns push off in that browser.
func (s *Server) handleUnsubscribePush(w http.ResponseWriter, r *http.Request) {
	var in pushSubscriptionJSON
	if err := decodeJSON(w, r, 8<<10, &in); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.cfg.Notify.Unsubscribe(r.Context(), actorFrom(r), in.Endpoint); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

// handleListNotifications: GET /api/v1/notifications?unread=1&before=ID&limit=N
// lists the caller's notifications, newest first, with the unread count.
func (s *Server) handleListNotifications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	before, err := optionalInt(q.Get("before"), "before")
	if err != nil {
		writeError(w, r, err)
		return
	}
	limit, err := optionalInt(q.Get("limit"), "limit")
	if err != nil {
		writeError(w, r, err)
		return
	}
	a := actorFrom(r)
	ns, err := s.cfg.Notify.Inbox(r.Context(), a, q.Get("unread") == "1", before, int(limit))
	if err != nil {
		writeError(w, r, err)
		return
	}
	unread, err := s.cfg.Notify.Unread(r.Context(), a)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if ns == nil {
		ns = []civicgrid.Notification{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": ns, "unread": unread})
}

func optionalInt(v, name string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, civicgrid.Errorf(civicgrid.EINVALID, "%s: want a whole number, not %q", name, v)
	}
	return n, nil
}

// handleMarkAllNotifications: POST /api/v1/notifications/read marks every
// unread notification of the caller read.
func (s *Server) handleMarkAllNotifications(w http.ResponseWriter, r *http.Request) {
	n, err := s.cfg.Notify.MarkAllRead(r.Context(), actorFrom(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"marked": n})
}

// handleMarkNotification: POST /api/v1/notifications/{id}/read.
func (s *Server) handleMarkNotification(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.cfg.Notify.MarkRead(r.Context(), actorFrom(r), id); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"marked": id})
}

func (s *Server) handleNotificationSettings(w http.ResponseWriter, r *http.Request) {
	p, err := s.cfg.Notify.Prefs(r.Context(), actorFrom(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"settings": p})
}

// handleSetNotificationSettings: PUT {"sms_off": bool, "push_off": bool,
// "lang": "zh-CN"|"en"|""}.
func (s *Server) handleSetNotificationSettings(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.NotificationPrefs
	if err := decodeJSON(w, r, 4<<10, &in); err != nil {
		writeError(w, r, err)
		return
	}
	a := actorFrom(r)
	if err := s.cfg.Notify.SetPrefs(r.Context(), a, in); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.cfg.Notify.Prefs(r.Context(), a)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"settings": p})
}
