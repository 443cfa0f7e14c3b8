package server

import (
	"maps"
	"net/http"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// The voting side of co-governance: objections to a result on public
// notice (异议) and their decision, paper ballots entered by two staff with
// a witness, and building-role elections (两长四员). Every step is the
// cogovern service's, which asks Authorize.

func (s *Server) electionRoutes(guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	guarded("GET", "/api/v1/votes/{id}/objections", civicgrid.ActionReadCogov, withID(s.handleObjections))
	guarded("POST", "/api/v1/votes/{id}/objections", civicgrid.ActionObject, withID(s.handleRaiseObjection))
	guarded("POST", "/api/v1/objections/{id}/decision", civicgrid.ActionManageVote, withID(s.handleDecideObjection))
	guarded("POST", "/api/v1/votes/{id}/paper-voters", civicgrid.ActionManageVote, withID(s.handlePaperVoter))
	guarded("GET", "/api/v1/votes/{id}/paper-ballots", civicgrid.ActionManageVote, withID(s.handlePaperEntries))
	guarded("POST", "/api/v1/votes/{id}/paper-ballots", civicgrid.ActionManageVote, withID(s.handleEnterPaper))
	guarded("POST", "/api/v1/votes/{id}/paper-ballots/{entry}/confirm", civicgrid.ActionManageVote, withID(s.handleConfirmPaper))
	guarded("GET", "/api/v1/elections", civicgrid.ActionReadCogov, s.handleElections)
	guarded("POST", "/api/v1/elections", civicgrid.ActionManageVote, s.handleCallElection)
	guarded("GET", "/api/v1/elections/{id}", civicgrid.ActionReadCogov, withID(s.handleElection))
	guarded("POST", "/api/v1/elections/{id}/nominations", civicgrid.ActionNominate, withID(s.handleNominate))
	guarded("POST", "/api/v1/elections/{id}/accept", civicgrid.ActionNominate, withID(s.handleAcceptNomination))
	guarded("POST", "/api/v1/elections/{id}/vote", civicgrid.ActionManageVote, withID(s.handleElectionVote))
	guarded("POST", "/api/v1/elections/{id}/withdraw", civicgrid.ActionNominate, withID(s.handleWithdrawNomination))
	guarded("POST", "/api/v1/elections/{id}/cancel", civicgrid.ActionManageVote, withID(s.handleCancelElection))
	guarded("POST", "/api/v1/elections/{id}/by-election", civicgrid.ActionManageVote, withID(s.handleByElection))
}

func (s *Server) handleWithdrawNomination(w http.ResponseWriter, r *http.Request, id int64) {
	if err := s.cfg.Cogov.WithdrawNomination(r.Context(), actorFrom(r), id); err != nil {
		writeError(w, r, err)
		return
	}
	e, err := s.cfg.Cogov.Election(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "election", e, err)
}

// cancelRequest is the body of an election's cancellation.
type cancelRequest struct {
	Reason string `json:"reason"`
}

// handleByElection: POST /api/v1/elections/{id}/by-election calls a
// by-election (补选) for the seats a final election left empty.
func (s *Server) handleByElection(w http.ResponseWriter, r *http.Request, id int64) {
	e, err := s.cfg.Cogov.CallByElection(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusCreated, "election", e, err)
}

func (s *Server) handleCancelElection(w http.ResponseWriter, r *http.Request, id int64) {
	var in cancelRequest
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	e, err := s.cfg.Cogov.CancelElection(r.Context(), actorFrom(r), id, in.Reason)
	answer(w, r, http.StatusOK, "election", e, err)
}

type objectionRequest struct {
	Reason string `json:"reason"`
}

type objectionDecision struct {
	Decision string `json:"decision"` // uphold or reject
	Response string `json:"response"`
}

type paperVoterRequest struct {
	Phone string `json:"phone"`
}

type paperBallotRequest struct {
	Choices []string `json:"choices"`
	Witness string   `json:"witness"`
	// Area (m²) written on an owners' ballot; only in an owners' vote.
	Area string `json:"area,omitempty"`
}

type nominationRequest struct {
	// Phone of the neighbour nominated; empty nominates oneself.
	Phone string `json:"phone"`
}

func (s *Server) handleObjections(w http.ResponseWriter, r *http.Request, id int64) {
	d, err := s.cfg.Cogov.VoteDecision(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "decision", d, err)
}

func (s *Server) handleRaiseObjection(w http.ResponseWriter, r *http.Request, id int64) {
	var in objectionRequest
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	o, err := s.cfg.Cogov.RaiseObjection(r.Context(), actorFrom(r), id, in.Reason)
	answer(w, r, http.StatusCreated, "objection", o, err)
}

func (s *Server) handleDecideObjection(w http.ResponseWriter, r *http.Request, id int64) {
	var in objectionDecision
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	o, err := s.cfg.Cogov.DecideObjection(r.Context(), actorFrom(r), id, in.Decision, in.Response)
	answer(w, r, http.StatusOK, "objection", o, err)
}

func (s *Server) handlePaperVoter(w http.ResponseWriter, r *http.Request, id int64) {
	var in paperVoterRequest
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	err := s.cfg.Cogov.MarkPaperVoter(r.Context(), actorFrom(r), id, in.Phone)
	answer(w, r, http.StatusOK, "marked", err == nil, err)
}

func (s *Server) handlePaperEntries(w http.ResponseWriter, r *http.Request, id int64) {
	es, err := s.cfg.Cogov.PaperEntries(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "paper_ballots", es, err)
}

func (s *Server) handleEnterPaper(w http.ResponseWriter, r *http.Request, id int64) {
	var in paperBallotRequest
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	e, err := s.cfg.Cogov.EnterPaperBallotArea(r.Context(), actorFrom(r), id, in.Choices, in.Witness, in.Area)
	answer(w, r, http.StatusCreated, "paper_ballot", e, err)
}

func (s *Server) handleConfirmPaper(w http.ResponseWriter, r *http.Request, id int64) {
	entry, err := pathID(r, "entry")
	if err != nil {
		writeError(w, r, err)
		return
	}
	err = s.cfg.Cogov.ConfirmPaperBallot(r.Context(), actorFrom(r), id, entry)
	answer(w, r, http.StatusOK, "confirmed", err == nil, err)
}

func (s *Server) handleElections(w http.ResponseWriter, r *http.Request) {
	es, err := s.cfg.Cogov.Elections(r.Context(), actorFrom(r))
	if es == nil {
		es = []civicgrid.Election{}
	}
	answer(w, r, http.StatusOK, "elections", es, err)
}

func (s *Server) handleCallElection(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.ElectionInput
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	e, err := s.cfg.Cogov.CallElection(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusCreated, "election", e, err)
}

func (s *Server) handleElection(w http.ResponseWriter, r *http.Request, id int64) {
	e, err := s.cfg.Cogov.Election(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "election", e, err)
}

func (s *Server) handleNominate(w http.ResponseWriter, r *http.Request, id int64) {
	var in nominationRequest
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.cfg.Cogov.Nominate(r.Context(), actorFrom(r), id, in.Phone); err != nil {
		writeError(w, r, err)
		return
	}
	e, err := s.cfg.Cogov.Election(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusCreated, "election", e, err)
}

func (s *Server) handleAcceptNomination(w http.ResponseWriter, r *http.Request, id int64) {
	if err := s.cfg.Cogov.AcceptNomination(r.Context(), actorFrom(r), id); err != nil {
		writeError(w, r, err)
		return
	}
	e, err := s.cfg.Cogov.Election(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "election", e, err)
}

func (s *Server) handleElectionVote(w http.ResponseWriter, r *http.Request, id int64) {
	var in cogovern.ElectionVoteInput
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	e, err := s.cfg.Cogov.OpenElectionVote(r.Context(), actorFrom(r), id, in)
	answer(w, r, http.StatusCreated, "election", e, err)
}

// The election routes' OpenAPI operations.
func init() {
	maps.Copy(operations, map[string]operation{
		"GET /api/v1/votes/{id}/objections":                     {summary: "A result's standing (on notice, final, voided) and its objections (异议), without their authors", tag: "co-governance"},
		"POST /api/v1/votes/{id}/objections":                    {summary: "Raise an objection to a result on public notice", tag: "co-governance", request: objectionRequest{}, created: true},
		"POST /api/v1/objections/{id}/decision":                 {summary: "Uphold (voiding the result) or reject an objection, with a reason everyone reads", tag: "co-governance", request: objectionDecision{}},
		"POST /api/v1/votes/{id}/paper-voters":                  {summary: "Mark a voter on the roll as voting on paper (refused if they voted online)", tag: "co-governance", request: paperVoterRequest{}},
		"GET /api/v1/votes/{id}/paper-ballots":                  {summary: "Paper ballot entries of a vote (no voter), for its staff", tag: "co-governance"},
		"POST /api/v1/votes/{id}/paper-ballots":                 {summary: "Enter a paper ballot from the opened box, with the witness named (first of two staff)", tag: "co-governance", request: paperBallotRequest{}, created: true},
		"POST /api/v1/votes/{id}/paper-ballots/{entry}/confirm": {summary: "Confirm another staff member's paper ballot entry: it goes into the box", tag: "co-governance"},
		"GET /api/v1/elections":                                 {summary: "Building-role elections (两长四员) in the caller's scopes", tag: "co-governance"},
		"POST /api/v1/elections":                                {summary: "Call a building-role election: nominations open", tag: "co-governance", request: civicgrid.ElectionInput{}, created: true},
		"GET /api/v1/elections/{id}":                            {summary: "One election: candidates, its vote's result and standing, history", tag: "co-governance"},
		"POST /api/v1/elections/{id}/nominations":               {summary: "Nominate oneself, or a neighbour of the building by phone", tag: "co-governance", request: nominationRequest{}, created: true},
		"POST /api/v1/elections/{id}/accept":                    {summary: "Accept one's nomination: one's name goes on the candidate list", tag: "co-governance"},
		"POST /api/v1/elections/{id}/withdraw":                  {summary: "Withdraw (or decline) one's own nomination before the election's vote opens", tag: "co-governance"},
		"POST /api/v1/elections/{id}/by-election":               {summary: "Call a by-election (补选) for the seats a final election left empty (staff)", tag: "co-governance", created: true},
		"POST /api/v1/elections/{id}/cancel":                    {summary: "Cancel an election before its vote opens, with a reason everyone reads", tag: "co-governance", request: cancelRequest{}},
		"POST /api/v1/elections/{id}/vote":                      {summary: "Open the election's approval vote on the accepted candidates", tag: "co-governance", request: cogovern.ElectionVoteInput{}, created: true},
	})
}
