package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
	"github.com/civicgrid/civicgrid/photo"
)

// Meetings beyond scheduling, sign-in and minutes: moving or cancelling a
// scheduled meeting with a reason, attaching documents (PDF), and the
// published minutes on the public notice board.

// CogovMeetings is what these pages need beside Cogov.
type CogovMeetings interface {
	RescheduleMeeting(ctx context.Context, actor civicgrid.Actor, id int64, c civicgrid.MeetingChange) (cogovern.MeetingView, error)
	CancelMeeting(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (cogovern.MeetingView, error)
	AddMeetingDocument(ctx context.Context, actor civicgrid.Actor, id int64, name string, r io.Reader) (cogovern.MeetingView, error)
	MeetingBoard(ctx context.Context, area string) ([]civicgrid.Meeting, error)
}

func (ui *UI) meetingExtras() CogovMeetings {
	m, _ := ui.cfg.Cogov.(CogovMeetings)
	return m
}

func (ui *UI) registerMeetingExtras(mux interface {
	HandleFunc(string, func(http.ResponseWriter, *http.Request))
}) {
	if ui.meetingExtras() == nil {
		return
	}
	mux.HandleFunc("POST /meetings/{id}/reschedule", ui.cogovStep("/meetings/", "rescheduled", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		c := civicgrid.MeetingChange{Place: f.Get("place"), Reason: f.Get("reason")}
		if v := f.Get("starts_at"); v != "" {
			t, err := time.ParseInLocation("2006-01-02T15:04", v, ui.location())
			if err != nil {
				return civicgrid.Errorf(civicgrid.EINVALID, "starts_at: a date and time")
			}
			c.StartsAt = t
		}
		_, err := ui.meetingExtras().RescheduleMeeting(ctx, a, id, c)
		return err
	}))
	mux.HandleFunc("POST /meetings/{id}/cancel", ui.cogovStep("/meetings/", "cancelled", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
		_, err := ui.meetingExtras().CancelMeeting(ctx, a, id, f.Get("reason"))
		return err
	}))
	mux.HandleFunc("POST /meetings/{id}/documents", ui.handleMeetingDocumentForm)
	if um, ok := ui.cfg.Cogov.(interface {
		UnmergeProposal(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (civicgrid.Proposal, error)
	}); ok { // undoing a proposal's merge (cogovern.Service)
		mux.HandleFunc("POST /proposals/{id}/unmerge", ui.cogovStep("/proposals/", "unmerged", func(ctx context.Context, a civicgrid.Actor, id int64, f url.Values) error {
			_, err := um.UnmergeProposal(ctx, a, id, f.Get("reason"))
			return err
		}))
	}
}

// handleMeetingDocumentForm attaches the PDF of the meeting page's form
// (multipart/form-data, field "document").
func (ui *UI) handleMeetingDocumentForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	back := meetingPath(id)
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "multipart/form-data" {
		backTo(w, r, back, "", civicgrid.Errorf(civicgrid.EINVALID, "choose a PDF file"))
		return
	}
	if r.MultipartForm == nil { // the CSRF check parses it when the token came as a field
		r.Body = http.MaxBytesReader(w, r.Body, photo.MaxDocumentBytes+256<<10)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				backTo(w, r, back, "", civicgrid.Errorf(civicgrid.ETOOLARGE, "documents: at most %d MiB", photo.MaxDocumentBytes>>20))
				return
			}
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
	}
	f, h, err := r.FormFile("document")
	if err != nil {
		backTo(w, r, back, "", civicgrid.Errorf(civicgrid.EINVALID, "choose a PDF file"))
		return
	}
	defer f.Close()
	if h.Size > photo.MaxDocumentBytes {
		backTo(w, r, back, "", civicgrid.Errorf(civicgrid.ETOOLARGE, "documents: %s: at most %d MiB", civicgrid.CleanDocumentName(h.Filename), photo.MaxDocumentBytes>>20))
		return
	}
	_, err = ui.meetingExtras().AddMeetingDocument(r.Context(), actor, id, h.Filename, f)
	backTo(w, r, back, "document_added", err)
}

// boardMeetings adds the area's published minutes to its notice board.
func (ui *UI) boardMeetings(r *http.Request, p *page, code string) error {
	mx := ui.meetingExtras()
	if mx == nil {
		return nil
	}
	ms, err := mx.MeetingBoard(r.Context(), code)
	if err != nil {
		return err
	}
	names := ui.areaNames(r)
	for _, m := range ms {
		p.Cogov.BoardMeetings = append(p.Cogov.BoardMeetings, meetingRow{m, scopeLabel(names, m.AreaCode, m.CourtyardScope)})
	}
	return nil
}

// invitedPhones reads the schedule form's phones, one per line or
// separated by commas.
func invitedPhones(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == '，' || r == ';' || r == ' ' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
