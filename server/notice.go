package server

import (
	"net/http"
	"strconv"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notices"
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
	guarded("GET", "/api/v1/announcements/{id}/unread-people", civicgrid.ActionFollowUpNotice, withID(s.handleFollowUp))
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
// (the last page's next).
func (s *Server) handleFollowUp(w http.ResponseWriter, r *http.Request, id int64) {
	after, err := civicgrid.ParseUnreachedCursor(r.URL.Query().Get("after"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := s.cfg.Notices.FollowUp(r.Context(), actorFrom(r), id, r.URL.Query().Get("within"), after)
	answer(w, r, http.StatusOK, "follow_up", f, err)
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
