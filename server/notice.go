package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notices"
	"github.com/civicgrid/civicgrid/photo"
)

// Notices (通知公告) under /api/v1/announcements (/api/v1/notices is the
// co-governance public notice board, 公示栏), and the work-group robots
// under /api/v1/group-robots. The notices service asks Authorize for every
// step; a notice the caller may not read is "not found".

func (s *Server) noticeRoutes(guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Notices == nil {
		return
	}
	guarded("GET", "/api/v1/announcements", civicgrid.ActionReadNotice, s.handleAnnouncements)
	guarded("POST", "/api/v1/announcements", civicgrid.ActionPostNotice, s.handlePostNotice)
	guarded("GET", "/api/v1/announcements/unread", civicgrid.ActionReadNotice, s.handleNoticesUnread)
	guarded("GET", "/api/v1/announcements/stream", civicgrid.ActionReadNotice, s.handleNoticeStream)
	guarded("GET", "/api/v1/announcements/follow-up", civicgrid.ActionFollowUpNotice, s.handleFollowable)
	guarded("GET", "/api/v1/announcements/{id}", civicgrid.ActionReadNotice, withID(s.handleNotice))
	guarded("POST", "/api/v1/announcements/{id}/read", civicgrid.ActionReadNotice, withID(s.handleReadNotice(false)))
	guarded("POST", "/api/v1/announcements/{id}/confirm", civicgrid.ActionReadNotice, withID(s.handleReadNotice(true)))
	guarded("POST", "/api/v1/announcements/{id}/remind", civicgrid.ActionPostNotice, withID(s.handleRemindNotice))
	guarded("POST", "/api/v1/announcements/{id}/withdraw", civicgrid.ActionWithdrawNotice, withID(s.handleWithdrawNotice))
	guarded("GET", "/api/v1/announcements/{id}/unread-people", civicgrid.ActionFollowUpNotice, withID(s.handleFollowUp(false)))
	guarded("GET", "/api/v1/announcements/{id}/readers", civicgrid.ActionFollowUpNotice, withID(s.handleFollowUp(true)))
	guarded("POST", "/api/v1/announcements/documents", civicgrid.ActionPostNotice, s.handleUploadDocument)
	guarded("GET", "/api/v1/announcements/{id}/documents/{ref}", civicgrid.ActionReadNotice, withID(s.handleNoticeDocument))
	guarded("GET", "/api/v1/group-robots", civicgrid.ActionManageRobots, s.handleRobots)
	guarded("POST", "/api/v1/group-robots", civicgrid.ActionManageRobots, s.handleAddRobot)
	guarded("DELETE", "/api/v1/group-robots/{id}", civicgrid.ActionManageRobots, withID(s.handleStopRobot))
	guarded("GET", "/api/v1/group-robots/{id}/deliveries", civicgrid.ActionManageRobots, withID(s.handleRobotDeliveries))
}

// noticeBody bounds a request body (a text of 5,000 characters is under 20 kB).
const noticeBody = 32 << 10

func (s *Server) handleAnnouncements(w http.ResponseWriter, r *http.Request) {
	vs, err := s.cfg.Notices.List(r.Context(), actorFrom(r), r.URL.Query().Get("expired") == "1")
	if vs == nil {
		vs = []notices.View{}
	}
	answer(w, r, http.StatusOK, "notices", vs, err)
}

func (s *Server) handlePostNotice(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.NoticeInput
	if err := decodeJSON(w, r, noticeBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Notices.Post(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusCreated, "notice", v, err)
}

func (s *Server) handleNoticesUnread(w http.ResponseWriter, r *http.Request) {
	n, err := s.cfg.Notices.Unread(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "unread", n, err)
}

func (s *Server) handleNotice(w http.ResponseWriter, r *http.Request, id int64) {
	v, err := s.cfg.Notices.Get(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "notice", v, err)
}

func (s *Server) handleReadNotice(confirm bool) func(http.ResponseWriter, *http.Request, int64) {
	return func(w http.ResponseWriter, r *http.Request, id int64) {
		v, err := s.cfg.Notices.Read(r.Context(), actorFrom(r), id, confirm)
		answer(w, r, http.StatusOK, "notice", v, err)
	}
}

func (s *Server) handleRemindNotice(w http.ResponseWriter, r *http.Request, id int64) {
	v, err := s.cfg.Notices.Remind(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "notice", v, err)
}

// handleWithdrawNotice: POST /api/v1/announcements/{id}/withdraw {"reason"}.
func (s *Server) handleWithdrawNotice(w http.ResponseWriter, r *http.Request, id int64) {
	var in WithdrawInput
	if err := decodeJSON(w, r, noticeBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Notices.Withdraw(r.Context(), actorFrom(r), id, in.Reason)
	answer(w, r, http.StatusOK, "notice", v, err)
}

// WithdrawInput is why a notice is withdrawn (1 to 200 characters).
type WithdrawInput struct {
	Reason string `json:"reason"`
}

// handleFollowUp: GET /api/v1/announcements/{id}/unread-people[?within=CODE&after=CURSOR]
// (the last page's next), and GET …/readers: who of them read it, when.
func (s *Server) handleFollowUp(readers bool) func(http.ResponseWriter, *http.Request, int64) {
	return func(w http.ResponseWriter, r *http.Request, id int64) {
		after, err := civicgrid.ParseUnreachedCursor(r.URL.Query().Get("after"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		list := s.cfg.Notices.FollowUp
		if readers {
			list = s.cfg.Notices.Readers
		}
		f, err := list(r.Context(), actorFrom(r), id, r.URL.Query().Get("within"), after)
		answer(w, r, http.StatusOK, "follow_up", f, err)
	}
}

func (s *Server) handleFollowable(w http.ResponseWriter, r *http.Request) {
	fs, err := s.cfg.Notices.Followable(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "notices", fs, err)
}

// handleNoticeStream: GET /api/v1/announcements/stream sends an event for
// each new notice the caller may read (its id, title, priority and scope).
func (s *Server) handleNoticeStream(w http.ResponseWriter, r *http.Request) {
	s.serveStream(w, r, func(a civicgrid.Actor) error { return streamAllowed(a, "") },
		func(a civicgrid.Actor, change any) (string, string, any, bool) {
			n, ok := change.(civicgrid.Notice)
			if !ok || !s.cfg.Notices.Readable(r.Context(), a, n) {
				return "", "", nil, false
			}
			return strconv.FormatInt(n.ID, 10), "notice", map[string]any{"id": n.ID, "title": n.Title, "priority": n.Priority,
				"scope": n.Scope, "pinned": n.Pinned, "need_confirm": n.NeedConfirm, "created_at": n.CreatedAt}, true
		})
}

// handleRobots: GET /api/v1/group-robots?within=CODE.
func (s *Server) handleRobots(w http.ResponseWriter, r *http.Request) {
	rs, err := s.cfg.Notices.Robots(r.Context(), actorFrom(r), r.URL.Query().Get("within"))
	if rs == nil {
		rs = []civicgrid.NoticeRobot{}
	}
	answer(w, r, http.StatusOK, "robots", rs, err)
}

func (s *Server) handleAddRobot(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.RobotInput
	if err := decodeJSON(w, r, noticeBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	rb, err := s.cfg.Notices.AddRobot(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusCreated, "robot", rb, err)
}

func (s *Server) handleStopRobot(w http.ResponseWriter, r *http.Request, id int64) {
	err := s.cfg.Notices.StopRobot(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "stopped", id, err)
}

func (s *Server) handleRobotDeliveries(w http.ResponseWriter, r *http.Request, id int64) {
	ds, err := s.cfg.Notices.Deliveries(r.Context(), actorFrom(r), id)
	if ds == nil {
		ds = []civicgrid.RobotDelivery{}
	}
	answer(w, r, http.StatusOK, "deliveries", ds, err)
}

// handleUploadDocument: POST /api/v1/announcements/documents takes one PDF
// (the body itself, or the "document" field of a multipart form), checks
// it by its content and stores it; the answer's ref goes in a notice's
// "documents" with the name to offer it under. A file refused (not a PDF,
// empty, too large) writes nothing.
func (s *Server) handleUploadDocument(w http.ResponseWriter, r *http.Request) {
	body := http.MaxBytesReader(w, r.Body, photo.MaxDocumentBytes+64<<10)
	var src io.Reader = body
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			writeError(w, r, documentBodyError(err))
			return
		}
		f, _, err := r.FormFile("document")
		if err != nil {
			writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "send the PDF in the form field \"document\""))
			return
		}
		defer f.Close()
		src = f
	}
	d, err := s.cfg.Notices.UploadDocument(r.Context(), actorFrom(r), src)
	if err != nil {
		writeError(w, r, documentBodyError(err))
		return
	}
	writeJSON(w, http.StatusCreated, d)
}

// documentBodyError names a body cut off by its limit as too large.
func documentBodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return civicgrid.Errorf(civicgrid.ETOOLARGE, "documents: at most %d MiB", photo.MaxDocumentBytes>>20)
	}
	if errors.As(err, new(net.Error)) {
		return bodyError(err)
	}
	return err
}

// handleNoticeDocument: GET /api/v1/announcements/{id}/documents/{ref}
// serves a notice's PDF to those who may read the notice (others: not
// found), as a download under its name: never shown inline, never sniffed
// as anything else, never kept by a shared cache.
func (s *Server) handleNoticeDocument(w http.ResponseWriter, r *http.Request, id int64) {
	d, err := s.cfg.Notices.Document(r.Context(), actorFrom(r), id, r.PathValue("ref"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.serveDocument(w, r, d.Ref, d.Name, fmt.Sprintf("notice %d", id))
}

// serveDocument serves a stored PDF (a notice's, a meeting's) that the
// caller has been found allowed to read: a download under its name, never
// shown inline, never sniffed as anything else, never kept by a shared
// cache. what names its owner in the not-found answer.
func (s *Server) serveDocument(w http.ResponseWriter, r *http.Request, ref, name, what string) {
	var (
		f   *os.File
		err error
	)
	if s.cfg.Photos != nil {
		if p, perr := s.cfg.Photos.DocumentPath(ref); perr == nil {
			f, err = os.Open(p)
		}
	}
	if f == nil || err != nil {
		writeError(w, r, civicgrid.Errorf(civicgrid.ENOTFOUND, "%s: document %s is not kept here", what, ref))
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", time.Time{}, f)
}
