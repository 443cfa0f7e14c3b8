package server

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/photo"
)

// Meetings (议事会) beyond scheduling, sign-in and minutes: documents,
// rescheduling and cancelling, and published minutes on the public
// notice board. The cogovern service asks Authorize for every step.

func (s *Server) meetingRoutes(public func(string, string, http.HandlerFunc), guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Cogov == nil {
		return
	}
	public("GET", "/api/v1/notices/meetings", s.handleMeetingBoard)
	guarded("POST", "/api/v1/meetings/{id}/reschedule", civicgrid.ActionManageMeeting, withID(s.handleRescheduleMeeting))
	guarded("POST", "/api/v1/meetings/{id}/cancel", civicgrid.ActionManageMeeting, withID(s.handleCancelMeeting))
	guarded("POST", "/api/v1/meetings/{id}/documents", civicgrid.ActionManageMeeting, withID(s.handleMeetingDocumentUpload))
	guarded("GET", "/api/v1/meetings/{id}/documents/{ref}", civicgrid.ActionReadCogov, withID(s.handleMeetingDocument))
}

func (s *Server) handleMeetingBoard(w http.ResponseWriter, r *http.Request) {
	ms, err := s.cfg.Cogov.MeetingBoard(r.Context(), r.URL.Query().Get("area"))
	if ms == nil {
		ms = []civicgrid.Meeting{}
	}
	answer(w, r, http.StatusOK, "meetings", ms, err)
}

func (s *Server) handleRescheduleMeeting(w http.ResponseWriter, r *http.Request, id int64) {
	var in civicgrid.MeetingChange
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	m, err := s.cfg.Cogov.RescheduleMeeting(r.Context(), actorFrom(r), id, in)
	answer(w, r, http.StatusOK, "meeting", m, err)
}

func (s *Server) handleCancelMeeting(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	m, err := s.cfg.Cogov.CancelMeeting(r.Context(), actorFrom(r), id, in.Reason)
	answer(w, r, http.StatusOK, "meeting", m, err)
}

// handleMeetingDocumentUpload: POST /api/v1/meetings/{id}/documents takes
// one PDF — the body itself with ?name=, or the "document" field of a
// multipart form (its file name) — checks it by its content, stores it and
// attaches it to the meeting. A file refused writes nothing.
func (s *Server) handleMeetingDocumentUpload(w http.ResponseWriter, r *http.Request, id int64) {
	body := http.MaxBytesReader(w, r.Body, photo.MaxDocumentBytes+64<<10)
	var src io.Reader = body
	name := r.URL.Query().Get("name")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			writeError(w, r, documentBodyError(err))
			return
		}
		f, h, err := r.FormFile("document")
		if err != nil {
			writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "send the PDF in the form field \"document\""))
			return
		}
		defer f.Close()
		src = f
		if name == "" {
			name = h.Filename
		}
	}
	m, err := s.cfg.Cogov.AddMeetingDocument(r.Context(), actorFrom(r), id, name, src)
	if err != nil {
		writeError(w, r, documentBodyError(err))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"meeting": m})
}

// handleMeetingDocument: GET /api/v1/meetings/{id}/documents/{ref} serves
// a meeting's PDF to those who may read the meeting (others: not found),
// as a notice's documents are served: a download under its name, never
// inline, never sniffed, never kept by a shared cache.
func (s *Server) handleMeetingDocument(w http.ResponseWriter, r *http.Request, id int64) {
	d, err := s.cfg.Cogov.MeetingDocument(r.Context(), actorFrom(r), id, r.PathValue("ref"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.serveDocument(w, r, d.Ref, d.Name, fmt.Sprintf("meeting %d", id))
}

// The meeting routes' OpenAPI operations.
func init() {
	maps.Copy(operations, map[string]operation{
		"GET /api/v1/notices/meetings":              {summary: "The public notice board's published minutes of an area (decisions, attendance, quorum; nobody named)", tag: "co-governance", query: []string{"area"}},
		"POST /api/v1/meetings/{id}/reschedule":     {summary: "Move a scheduled meeting to a new start or place, with a reason (the roll is told)", tag: "co-governance", request: civicgrid.MeetingChange{}},
		"POST /api/v1/meetings/{id}/cancel":         {summary: "Cancel a scheduled meeting with a reason (the roll is told)", tag: "co-governance"},
		"POST /api/v1/meetings/{id}/documents":      {summary: "Attach a PDF document to a meeting (the body with ?name=, or multipart field \"document\")", tag: "co-governance", query: []string{"name"}, created: true},
		"GET /api/v1/meetings/{id}/documents/{ref}": {summary: "Download a meeting's document (those who may read the meeting)", tag: "co-governance"},
	})
}
