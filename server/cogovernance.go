package server

import (
	"maps"
	"net/http"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// Co-governance: proposals in a scope, support, moderation, votes with a
// frozen roll and secret ballots. The cogovern service asks Authorize for
// every step; a proposal or vote outside the caller's scope is "not found".

func (s *Server) cogovernanceRoutes(public func(string, string, http.HandlerFunc), guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Cogov == nil {
		return
	}
	public("GET", "/api/v1/notices", s.handleNotices)
	guarded("GET", "/api/v1/proposals", civicgrid.ActionReadCogov, s.handleProposals)
	guarded("POST", "/api/v1/proposals", civicgrid.ActionPropose, s.handlePropose)
	guarded("GET", "/api/v1/proposals/{id}", civicgrid.ActionReadCogov, withID(s.handleProposal))
	guarded("POST", "/api/v1/proposals/{id}/support", civicgrid.ActionSupportProposal, withID(s.handleSupport))
	guarded("POST", "/api/v1/proposals/{id}/moderate", civicgrid.ActionModerateProposal, withID(s.handleModerate))
	guarded("POST", "/api/v1/proposals/{id}/unmerge", civicgrid.ActionModerateProposal, withID(s.handleUnmerge))
	guarded("GET", "/api/v1/votes", civicgrid.ActionReadCogov, s.handleVotes)
	guarded("POST", "/api/v1/votes", civicgrid.ActionManageVote, s.handleOpenVote)
	guarded("GET", "/api/v1/votes/{id}", civicgrid.ActionReadCogov, withID(s.handleVote))
	guarded("POST", "/api/v1/votes/{id}/ballot", civicgrid.ActionCastBallot, withID(s.handleCast))
	guarded("POST", "/api/v1/votes/{id}/receipt", civicgrid.ActionReadCogov, withID(s.handleCheckReceipt))
	guarded("GET", "/api/v1/votes/{id}/ballots", civicgrid.ActionReadCogov, withID(s.handleBallots))
	guarded("POST", "/api/v1/votes/{id}/close", civicgrid.ActionManageVote, withID(s.handleCloseVote))
	guarded("GET", "/api/v1/meetings", civicgrid.ActionReadCogov, s.handleMeetings)
	guarded("POST", "/api/v1/meetings", civicgrid.ActionManageMeeting, s.handleScheduleMeeting)
	guarded("GET", "/api/v1/meetings/{id}", civicgrid.ActionReadCogov, withID(s.handleMeeting))
	guarded("POST", "/api/v1/meetings/{id}/signin", civicgrid.ActionAttendMeeting, withID(s.handleMeetingSignIn))
	guarded("POST", "/api/v1/meetings/{id}/attendance", civicgrid.ActionManageMeeting, withID(s.handleMarkAttended))
	guarded("POST", "/api/v1/meetings/{id}/minutes", civicgrid.ActionManageMeeting, withID(s.handleMinutes))
	s.electionRoutes(guarded)
}

// cogovBody bounds a co-governance request body (a proposal's 2,000
// characters are at most 8 kB of UTF-8).
const cogovBody = 16 << 10

// minutesBody bounds minutes: 5,000 characters and a note of 500 on each
// of up to 20 items, in UTF-8.
const minutesBody = 96 << 10

// withID runs h with the path's {id}, or answers the bad id.
func withID(h func(w http.ResponseWriter, r *http.Request, id int64)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			writeError(w, r, err)
			return
		}
		h(w, r, id)
	}
}

// answer writes v (as key) with status, or the error.
func answer(w http.ResponseWriter, r *http.Request, status int, key string, v any, err error) {
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, status, map[string]any{key: v})
}

func (s *Server) handleProposals(w http.ResponseWriter, r *http.Request) {
	ps, err := s.cfg.Cogov.Proposals(r.Context(), actorFrom(r))
	if ps == nil {
		ps = []civicgrid.Proposal{}
	}
	answer(w, r, http.StatusOK, "proposals", ps, err)
}

func (s *Server) handlePropose(w http.ResponseWriter, r *http.Request) {
	var in cogovern.ProposalInput
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.cfg.Cogov.Propose(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusCreated, "proposal", p, err)
}

func (s *Server) handleProposal(w http.ResponseWriter, r *http.Request, id int64) {
	p, err := s.cfg.Cogov.Proposal(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "proposal", p, err)
}

func (s *Server) handleSupport(w http.ResponseWriter, r *http.Request, id int64) {
	p, err := s.cfg.Cogov.Support(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "proposal", p, err)
}

// handleUnmerge: POST /api/v1/proposals/{id}/unmerge {"reason"} undoes
// the proposal's merge.
func (s *Server) handleUnmerge(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.cfg.Cogov.UnmergeProposal(r.Context(), actorFrom(r), id, in.Reason)
	answer(w, r, http.StatusOK, "proposal", p, err)
}

func (s *Server) handleModerate(w http.ResponseWriter, r *http.Request, id int64) {
	var in moderation
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	if in.Decision == cogovern.DecisionMerge {
		p, err := s.cfg.Cogov.MergeProposal(r.Context(), actorFrom(r), id, in.Into, in.Reason)
		answer(w, r, http.StatusOK, "proposal", p, err)
		return
	}
	p, err := s.cfg.Cogov.Moderate(r.Context(), actorFrom(r), id, in.Decision, in.Reason)
	answer(w, r, http.StatusOK, "proposal", p, err)
}

// moderation is staff's decision on a proposal: accept, decline with a
// reason, or merge into another ("into") with a reason.
type moderation struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	Into     int64  `json:"into,omitempty"`
}

func (s *Server) handleVotes(w http.ResponseWriter, r *http.Request) {
	vs, err := s.cfg.Cogov.Votes(r.Context(), actorFrom(r))
	if vs == nil {
		vs = []civicgrid.Vote{}
	}
	answer(w, r, http.StatusOK, "votes", vs, err)
}

func (s *Server) handleOpenVote(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.VoteInput
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Cogov.OpenVote(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusCreated, "vote", v, err)
}

func (s *Server) handleVote(w http.ResponseWriter, r *http.Request, id int64) {
	v, err := s.cfg.Cogov.Vote(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "vote", v, err)
}

// handleCast: POST /api/v1/votes/{id}/ballot {"choices": ["yes"]} answers
// the receipt code, shown this once.
func (s *Server) handleCast(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Choices []string `json:"choices"`
	}
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	receipt, err := s.cfg.Cogov.Cast(r.Context(), actorFrom(r), id, in.Choices)
	answer(w, r, http.StatusCreated, "receipt", receipt, err)
}

// handleCheckReceipt: POST (so the code stays out of addresses and logs)
// /api/v1/votes/{id}/receipt {"receipt": "…"} answers the ballot counted
// under it, or 404.
func (s *Server) handleCheckReceipt(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Receipt string `json:"receipt"`
	}
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	b, err := s.cfg.Cogov.CheckReceipt(r.Context(), actorFrom(r), id, in.Receipt)
	answer(w, r, http.StatusOK, "ballot", b, err)
}

func (s *Server) handleBallots(w http.ResponseWriter, r *http.Request, id int64) {
	bs, err := s.cfg.Cogov.Ballots(r.Context(), actorFrom(r), id)
	if bs == nil {
		bs = []civicgrid.Ballot{}
	}
	answer(w, r, http.StatusOK, "ballots", bs, err)
}

func (s *Server) handleCloseVote(w http.ResponseWriter, r *http.Request, id int64) {
	v, err := s.cfg.Cogov.Close(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "vote", v, err)
}

// handleNotices: GET /api/v1/notices?area=CODE is the area's public notice
// board: results on public notice, with no personal data.
func (s *Server) handleNotices(w http.ResponseWriter, r *http.Request) {
	vs, err := s.cfg.Cogov.Board(r.Context(), r.URL.Query().Get("area"))
	if vs == nil {
		vs = []cogovern.Decision{}
	}
	answer(w, r, http.StatusOK, "notices", vs, err)
}

func (s *Server) handleMeetings(w http.ResponseWriter, r *http.Request) {
	ms, err := s.cfg.Cogov.Meetings(r.Context(), actorFrom(r))
	if ms == nil {
		ms = []civicgrid.Meeting{}
	}
	answer(w, r, http.StatusOK, "meetings", ms, err)
}

func (s *Server) handleScheduleMeeting(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.MeetingInput
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	m, err := s.cfg.Cogov.ScheduleMeeting(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusCreated, "meeting", m, err)
}

func (s *Server) handleMeeting(w http.ResponseWriter, r *http.Request, id int64) {
	m, err := s.cfg.Cogov.Meeting(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "meeting", m, err)
}

// handleMeetingSignIn: POST /api/v1/meetings/{id}/signin {"code": "123456"}, the
// code shown at the door.
func (s *Server) handleMeetingSignIn(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	m, err := s.cfg.Cogov.SignIn(r.Context(), actorFrom(r), id, in.Code)
	answer(w, r, http.StatusOK, "meeting", m, err)
}

// handleMarkAttended: POST /api/v1/meetings/{id}/attendance {"user_id": N},
// staff ticking a person on the roll.
func (s *Server) handleMarkAttended(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		UserID int64 `json:"user_id"`
	}
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	m, err := s.cfg.Cogov.MarkAttended(r.Context(), actorFrom(r), id, in.UserID)
	answer(w, r, http.StatusOK, "meeting", m, err)
}

func (s *Server) handleMinutes(w http.ResponseWriter, r *http.Request, id int64) {
	var in cogovern.MinutesInput
	if err := decodeJSON(w, r, minutesBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	m, err := s.cfg.Cogov.PublishMinutes(r.Context(), actorFrom(r), id, in)
	answer(w, r, http.StatusOK, "meeting", m, err)
}

// The co-governance routes' OpenAPI operations.
func init() {
	maps.Copy(operations, map[string]operation{
		"GET /api/v1/notices":                   {summary: "The public notice board (公示) of an area: closed votes' results in their notice period", tag: "co-governance", query: []string{"area"}},
		"GET /api/v1/proposals":                 {summary: "Proposals (议题) in the caller's scopes, newest first", tag: "co-governance"},
		"POST /api/v1/proposals":                {summary: "Raise a proposal in a scope one holds a role in", tag: "co-governance", request: cogovern.ProposalInput{}, created: true},
		"GET /api/v1/proposals/{id}":            {summary: "One proposal with its history", tag: "co-governance"},
		"POST /api/v1/proposals/{id}/support":   {summary: "Support (附议) a proposal", tag: "co-governance"},
		"POST /api/v1/proposals/{id}/unmerge":   {summary: "Undo a merge with a reason: the carried supports go back, the proposal returns to where it was", tag: "co-governance"},
		"POST /api/v1/proposals/{id}/moderate":  {summary: "Moderate a proposal: accept, merge into another (\"into\") with a reason, or decline with a reason", tag: "co-governance", request: moderation{}},
		"GET /api/v1/votes":                     {summary: "Votes (表决) in the caller's scopes", tag: "co-governance"},
		"POST /api/v1/votes":                    {summary: "Open a vote with its quorum rule; the roll is frozen at opening", tag: "co-governance", request: civicgrid.VoteInput{}, created: true},
		"GET /api/v1/votes/{id}":                {summary: "One vote: question, options, turnout, and the result once closed", tag: "co-governance"},
		"POST /api/v1/votes/{id}/ballot":        {summary: "Cast one's ballot (secret votes answer with a receipt code)", tag: "co-governance"},
		"POST /api/v1/votes/{id}/receipt":       {summary: "Check a secret ballot's receipt code against the ballot box", tag: "co-governance"},
		"GET /api/v1/votes/{id}/ballots":        {summary: "The ballot box of a closed vote (secret: choices without voters)", tag: "co-governance"},
		"POST /api/v1/votes/{id}/close":         {summary: "Close a vote and count it against its quorum rule", tag: "co-governance"},
		"GET /api/v1/meetings":                  {summary: "Deliberation meetings (议事会) in the caller's scopes", tag: "co-governance"},
		"POST /api/v1/meetings":                 {summary: "Schedule a meeting with its agenda of proposals", tag: "co-governance", request: civicgrid.MeetingInput{}, created: true},
		"GET /api/v1/meetings/{id}":             {summary: "One meeting: agenda, roll, attendance and minutes", tag: "co-governance"},
		"POST /api/v1/meetings/{id}/signin":     {summary: "Sign in at the meeting's door with its code", tag: "co-governance"},
		"POST /api/v1/meetings/{id}/attendance": {summary: "Staff mark people present from the frozen roll", tag: "co-governance"},
		"POST /api/v1/meetings/{id}/minutes":    {summary: "Record the minutes with the decision on each item", tag: "co-governance", request: cogovern.MinutesInput{}},
	})
}
