package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// handleListTokens: GET /api/v1/tokens — one's own tokens, and for admins
// every token in their area.
func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) {
	a := actorFrom(r)
	if err := civicgrid.Authorize(a, civicgrid.ActionListTokens, civicgrid.Object{Owner: a.UserID}); err != nil {
		writeError(w, r, err)
		return
	}
	toks, err := s.store.ListAPITokens(r.Context(), a.UserID, a.Scopes(civicgrid.ActionListTokens))
	if err != nil {
		writeError(w, r, err)
		return
	}
	if toks == nil {
		toks = []civicgrid.APIToken{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": toks})
}

type createTokenRequest struct {
	Name       string   `json:"name"`
	Role       string   `json:"role"`
	AreaCode   string   `json:"area_code"`
	Detail     string   `json:"detail"`
	Categories []string `json:"categories"`
	TTLDays    int      `json:"ttl_days"`
}

// maxTokenDays bounds token lifetimes: integrations must rotate.
const maxTokenDays = 365

// handleCreateToken: POST /api/v1/tokens cuts an API token from one of the
// caller's own grants (never wider). The secret is in this answer only.
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	a := actorFrom(r)
	if err := civicgrid.Authorize(a, civicgrid.ActionCreateToken, civicgrid.Object{Owner: a.UserID}); err != nil {
		writeError(w, r, err)
		return
	}
	var req createTokenRequest
	if _, err := decodeAuthBody(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if n := len([]rune(req.Name)); n == 0 || n > 80 {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "name: say in 1 to 80 characters what the token is for"))
		return
	}
	if req.TTLDays == 0 {
		req.TTLDays = 90
	}
	if req.TTLDays < 1 || req.TTLDays > maxTokenDays {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "ttl_days must be 1 to %d", maxTokenDays))
		return
	}
	t := civicgrid.APIToken{Name: req.Name, Role: req.Role, AreaCode: req.AreaCode, Detail: req.Detail, Categories: req.Categories,
		CreatedBy: a.UserID, ExpiresAt: s.now().Add(time.Duration(req.TTLDays) * 24 * time.Hour)}
	if err := t.Grant().CheckShape(); err != nil {
		writeError(w, r, err)
		return
	}
	if !civicgrid.CanDeriveToken(a, t.Grant()) {
		writeError(w, r, civicgrid.Errorf(civicgrid.EFORBIDDEN, "a token may carry only a role you hold, over your own area or part of it (you hold %s)", describeGrantList(a.Grants)))
		return
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventTokenCreated, AreaCode: t.AreaCode})
	secret, stored, err := s.store.CreateAPIToken(r.Context(), t, ev)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": stored, "secret": secret, "note": "the secret is shown only now"})
}

// handleRevokeToken: DELETE /api/v1/tokens/{id}.
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.store.APITokenByID(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := civicgrid.Authorize(actorFrom(r), civicgrid.ActionRevokeToken, civicgrid.Object{Areas: []string{t.AreaCode}, Owner: t.CreatedBy}); err != nil {
		writeError(w, r, err)
		return
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventTokenRevoked, AreaCode: t.AreaCode, Detail: "token " + t.Name})
	if err := s.store.RevokeAPIToken(r.Context(), id, ev); err != nil {
		writeError(w, r, err)
		return
	}
	s.hub.credentialsChanged()
	w.WriteHeader(http.StatusNoContent)
}
