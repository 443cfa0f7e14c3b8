package server

import (
	"fmt"
	"net/http"

	"github.com/civicgrid/civicgrid"
)

// Outbound webhooks: district and city admins subscribe integrations to the
// case events of an area in their scope, see the delivery queue, and replay
// dead-lettered deliveries.

func (s *Server) webhookRoutes(guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Webhooks == nil {
		return
	}
	guarded("GET", "/api/v1/webhooks", civicgrid.ActionManageWebhooks, s.handleListWebhooks)
	guarded("POST", "/api/v1/webhooks", civicgrid.ActionManageWebhooks, s.handleCreateWebhook)
	guarded("DELETE", "/api/v1/webhooks/{id}", civicgrid.ActionManageWebhooks, s.handleDisableWebhook)
	guarded("GET", "/api/v1/webhooks/{id}/deliveries", civicgrid.ActionManageWebhooks, s.handleWebhookDeliveries)
	guarded("POST", "/api/v1/webhooks/{id}/replay", civicgrid.ActionManageWebhooks, s.handleReplayWebhook)
	guarded("POST", "/api/v1/webhooks/{id}/deliveries/{delivery}/replay", civicgrid.ActionManageWebhooks, s.handleReplayWebhook)
}

// handleListWebhooks: GET /api/v1/webhooks?within=CODE lists the hooks in
// the caller's scope (and within CODE when given).
func (s *Server) handleListWebhooks(w http.ResponseWriter, r *http.Request) {
	a := actorFrom(r)
	within := r.URL.Query().Get("within")
	if within != "" {
		if err := civicgrid.Authorize(a, civicgrid.ActionManageWebhooks, civicgrid.In(within)); err != nil {
			writeError(w, r, err)
			return
		}
	}
	hooks, err := s.cfg.Webhooks.List(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := []civicgrid.Webhook{}
	for _, h := range hooks {
		if (within == "" || civicgrid.InSubtree(within, h.Within)) && civicgrid.Authorize(a, civicgrid.ActionManageWebhooks, civicgrid.In(h.Within)) == nil {
			out = append(out, h)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

func (s *Server) handleCreateWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name    string                 `json:"name"`
		URL     string                 `json:"url"`
		Within  string                 `json:"within"`
		Actions []civicgrid.CaseAction `json:"actions"`
	}
	if err := decodeJSON(w, r, 16<<10, &in); err != nil {
		writeError(w, r, err)
		return
	}
	a := actorFrom(r)
	if err := civicgrid.Authorize(a, civicgrid.ActionManageWebhooks, civicgrid.In(in.Within)); err != nil {
		writeError(w, r, err)
		return
	}
	h, secret, err := s.cfg.Webhooks.Create(r.Context(), civicgrid.Webhook{Name: in.Name, URL: in.URL, Within: in.Within,
		Actions: in.Actions, CreatedBy: a.UserID})
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, civicgrid.SecurityEvent{Kind: "webhook.created", Outcome: civicgrid.OutcomeOK, AreaCode: h.Within,
		Detail: fmt.Sprintf("webhook %d %q → %s", h.ID, h.Name, h.URL)})
	writeJSON(w, http.StatusCreated, map[string]any{"webhook": h, "secret": secret,
		"note": "keep the secret: it verifies the X-Civicgrid-Signature header and is not shown again"})
}

// webhookInScope loads the {id} hook if the caller may manage it; one out
// of scope is "not found".
func (s *Server) webhookInScope(w http.ResponseWriter, r *http.Request) (civicgrid.Webhook, bool) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return civicgrid.Webhook{}, false
	}
	h, err := s.cfg.Webhooks.Get(r.Context(), id)
	if err == nil && civicgrid.Authorize(actorFrom(r), civicgrid.ActionManageWebhooks, civicgrid.In(h.Within)) != nil {
		err = civicgrid.Errorf(civicgrid.ENOTFOUND, "no webhook %d in your scope", id)
	}
	if err != nil {
		writeError(w, r, err)
		return h, false
	}
	return h, true
}

func (s *Server) handleDisableWebhook(w http.ResponseWriter, r *http.Request) {
	h, ok := s.webhookInScope(w, r)
	if !ok {
		return
	}
	if err := s.cfg.Webhooks.Disable(r.Context(), h.ID); err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, civicgrid.SecurityEvent{Kind: "webhook.disabled", Outcome: civicgrid.OutcomeOK, AreaCode: h.Within,
		Detail: fmt.Sprintf("webhook %d %q", h.ID, h.Name)})
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	h, ok := s.webhookInScope(w, r)
	if !ok {
		return
	}
	ds, err := s.cfg.Webhooks.Deliveries(r.Context(), h.ID, civicgrid.DeliveryState(r.URL.Query().Get("state")))
	if err != nil {
		writeError(w, r, err)
		return
	}
	if ds == nil {
		ds = []civicgrid.WebhookDelivery{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
}

// handleReplayWebhook requeues one delivery ({delivery}) or every dead one.
func (s *Server) handleReplayWebhook(w http.ResponseWriter, r *http.Request) {
	h, ok := s.webhookInScope(w, r)
	if !ok {
		return
	}
	var deliveryID int64
	if r.PathValue("delivery") != "" {
		id, err := pathID(r, "delivery")
		if err != nil {
			writeError(w, r, err)
			return
		}
		deliveryID = id
	}
	n, err := s.cfg.Webhooks.Replay(r.Context(), h.ID, deliveryID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"requeued": n})
}
