package server

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
)

func (s *Server) open311KeyRoutes(guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	guarded("GET", "/api/v1/open311/keys", civicgrid.ActionManageOpen311Keys, s.handleListOpen311Keys)
	guarded("POST", "/api/v1/open311/keys", civicgrid.ActionManageOpen311Keys, s.handleCreateOpen311Key)
	guarded("DELETE", "/api/v1/open311/keys/{id}", civicgrid.ActionManageOpen311Keys, s.handleRevokeOpen311Key)
}

// handleListOpen311Keys: GET /api/v1/open311/keys lists the client keys
// by name and prefix; the keys themselves are never shown again.
func (s *Server) handleListOpen311Keys(w http.ResponseWriter, r *http.Request) {
	if err := civicgrid.Authorize(actorFrom(r), civicgrid.ActionManageOpen311Keys, civicgrid.Object{}); err != nil {
		writeError(w, r, err)
		return
	}
	keys, err := s.store.Open311Keys(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	if keys == nil {
		keys = []civicgrid.Open311Key{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

// handleCreateOpen311Key: POST /api/v1/open311/keys {"name"} makes a key
// and answers it once.
func (s *Server) handleCreateOpen311Key(w http.ResponseWriter, r *http.Request) {
	if err := civicgrid.Authorize(actorFrom(r), civicgrid.ActionManageOpen311Keys, civicgrid.Object{}); err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Name string `json:"name"`
	}
	if _, err := decodeAuthBody(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	name := strings.TrimSpace(req.Name)
	if n := utf8.RuneCountInString(name); n == 0 || n > 80 {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "name: the client application's name, 1 to 80 characters"))
		return
	}
	key, id, err := s.store.CreateOpen311Key(r.Context(), name, s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventOpen311KeyCreated}))
	if err != nil {
		writeError(w, r, err)
		return
	}
	k := civicgrid.Open311Key{ID: id, Name: name, Prefix: civicgrid.Open311KeyPrefix(key), CreatedAt: s.now()}
	writeJSON(w, http.StatusCreated, map[string]any{"key": k, "secret": key})
}

// handleRevokeOpen311Key: DELETE /api/v1/open311/keys/{id} ends a key; the
// client's next request is refused.
func (s *Server) handleRevokeOpen311Key(w http.ResponseWriter, r *http.Request) {
	if err := civicgrid.Authorize(actorFrom(r), civicgrid.ActionManageOpen311Keys, civicgrid.Object{}); err != nil {
		writeError(w, r, err)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, r, civicgrid.Errorf(civicgrid.ENOTFOUND, "no Open311 key %q", r.PathValue("id")))
		return
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventOpen311KeyRevoked, Detail: "open311 key " + strconv.FormatInt(id, 10)})
	if err := s.store.RevokeOpen311Key(r.Context(), id, ev); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
