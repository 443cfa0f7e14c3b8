package server

import (
	"net/http"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/search"
)

func (s *Server) searchRoutes(guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Search == nil {
		return
	}
	guarded("GET", "/api/v1/search", civicgrid.ActionSearch, s.handleSearch)
}

// handleSearch: GET /api/v1/search?q=&kind=&area=&from=&to=&limit=&after=
// (docs/search.md). from and to are dates (Beijing time), to inclusive.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	q, err := searchQuery(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, err := s.cfg.Search.Search(r.Context(), actorFrom(r), q)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// searchQuery reads a search from a request's query string.
func searchQuery(r *http.Request) (search.Query, error) { return search.ParseQuery(r.URL.Query()) }
