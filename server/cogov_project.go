package server

import (
	"maps"
	"net/http"
	"strconv"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
)

// Co-governance projects (共建共管共评共享) and comments on proposals and
// projects. The cogovern service asks Authorize for every step; a project
// outside the caller's scope is "not found".

func (s *Server) projectRoutes(public func(string, string, http.HandlerFunc), guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Cogov == nil {
		return
	}
	public("GET", "/api/v1/notices/projects", s.handleNoticeProjects)
	guarded("GET", "/api/v1/projects", civicgrid.ActionReadCogov, s.handleProjects)
	guarded("POST", "/api/v1/projects", civicgrid.ActionManageProject, s.handleStartProject)
	guarded("GET", "/api/v1/projects/stats", civicgrid.ActionReadCogov, s.handleProjectStats)
	guarded("GET", "/api/v1/projects/{id}", civicgrid.ActionReadCogov, withID(s.handleProject))
	guarded("POST", "/api/v1/projects/{id}/milestones", civicgrid.ActionManageProject, withID(s.handleAddMilestone))
	guarded("POST", "/api/v1/projects/{id}/milestones/{milestone}/done", civicgrid.ActionManageProject, withID(s.handleMilestoneDone))
	guarded("POST", "/api/v1/projects/{id}/updates", civicgrid.ActionManageProject, withID(s.handleProjectUpdate))
	guarded("POST", "/api/v1/projects/{id}/phase", civicgrid.ActionManageProject, withID(s.handleProjectPhase))
	guarded("POST", "/api/v1/projects/{id}/rating", civicgrid.ActionEvaluateProject, withID(s.handleRateProject))
	guarded("POST", "/api/v1/projects/{id}/cases", civicgrid.ActionManageProject, withID(s.handleLinkCase))
	guarded("POST", "/api/v1/projects/{id}/spending", civicgrid.ActionManageProject, withID(s.handleAddSpending))
	guarded("POST", "/api/v1/projects/{id}/edit", civicgrid.ActionManageProject, withID(s.handleEditProject))
	guarded("GET", "/api/v1/projects/{id}/comments", civicgrid.ActionReadCogov, withID(s.handleComments("project")))
	guarded("POST", "/api/v1/projects/{id}/comments", civicgrid.ActionComment, withID(s.handleComment("project")))
	guarded("GET", "/api/v1/proposals/{id}/comments", civicgrid.ActionReadCogov, withID(s.handleComments("proposal")))
	guarded("POST", "/api/v1/proposals/{id}/comments", civicgrid.ActionComment, withID(s.handleComment("proposal")))
	guarded("GET", "/api/v1/proposals/{id}/projects", civicgrid.ActionReadCogov, withID(s.handleProposalProjects))
	guarded("POST", "/api/v1/comments/{id}/hide", civicgrid.ActionModerateProposal, withID(s.handleHideComment))
}

func (s *Server) handleNoticeProjects(w http.ResponseWriter, r *http.Request) {
	ps, err := s.cfg.Cogov.NoticeProjects(r.Context(), r.URL.Query().Get("area"))
	if ps == nil {
		ps = []civicgrid.Project{}
	}
	answer(w, r, http.StatusOK, "projects", ps, err)
}

func (s *Server) handleProjects(w http.ResponseWriter, r *http.Request) {
	ps, err := s.cfg.Cogov.Projects(r.Context(), actorFrom(r))
	if ps == nil {
		ps = []civicgrid.Project{}
	}
	answer(w, r, http.StatusOK, "projects", ps, err)
}

func (s *Server) handleStartProject(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.ProjectInput
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.cfg.Cogov.StartProject(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusCreated, "project", p, err)
}

func (s *Server) handleProjectStats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	st, err := s.cfg.Cogov.ProjectStats(r.Context(), actorFrom(r), q.Get("area"), q.Get("period"))
	answer(w, r, http.StatusOK, "stats", st, err)
}

func (s *Server) handleProject(w http.ResponseWriter, r *http.Request, id int64) {
	v, err := s.cfg.Cogov.Project(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "project", v, err)
}

func (s *Server) handleAddMilestone(w http.ResponseWriter, r *http.Request, id int64) {
	var in civicgrid.MilestoneInput
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Cogov.AddMilestone(r.Context(), actorFrom(r), id, in)
	answer(w, r, http.StatusCreated, "project", v, err)
}

func (s *Server) handleMilestoneDone(w http.ResponseWriter, r *http.Request, id int64) {
	mid, err := pathID(r, "milestone")
	if err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Cogov.CompleteMilestone(r.Context(), actorFrom(r), id, mid)
	answer(w, r, http.StatusOK, "project", v, err)
}

func (s *Server) handleProjectUpdate(w http.ResponseWriter, r *http.Request, id int64) {
	var in cogovern.UpdateInput
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	u, err := s.cfg.Cogov.PostUpdate(r.Context(), actorFrom(r), id, in)
	answer(w, r, http.StatusCreated, "update", u, err)
}

func (s *Server) handleProjectPhase(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Phase civicgrid.ProjectPhase `json:"phase"`
	}
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Cogov.AdvancePhase(r.Context(), actorFrom(r), id, in.Phase)
	answer(w, r, http.StatusOK, "project", v, err)
}

func (s *Server) handleRateProject(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Rating int `json:"rating"`
	}
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Cogov.RateProject(r.Context(), actorFrom(r), id, in.Rating)
	answer(w, r, http.StatusOK, "project", v, err)
}

func (s *Server) handleLinkCase(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		CaseID int64 `json:"case_id"`
	}
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Cogov.LinkCase(r.Context(), actorFrom(r), id, in.CaseID)
	answer(w, r, http.StatusOK, "project", v, err)
}

func subjectOf(kind string, id int64) string { return kind + ":" + strconv.FormatInt(id, 10) }

func (s *Server) handleComments(kind string) func(http.ResponseWriter, *http.Request, int64) {
	return func(w http.ResponseWriter, r *http.Request, id int64) {
		cs, err := s.cfg.Cogov.Comments(r.Context(), actorFrom(r), subjectOf(kind, id))
		answer(w, r, http.StatusOK, "comments", cs, err)
	}
}

func (s *Server) handleComment(kind string) func(http.ResponseWriter, *http.Request, int64) {
	return func(w http.ResponseWriter, r *http.Request, id int64) {
		var in cogovern.CommentInput
		if err := decodeJSON(w, r, cogovBody, &in); err != nil {
			writeError(w, r, err)
			return
		}
		c, err := s.cfg.Cogov.Comment(r.Context(), actorFrom(r), subjectOf(kind, id), in)
		answer(w, r, http.StatusCreated, "comment", c, err)
	}
}

func (s *Server) handleProposalProjects(w http.ResponseWriter, r *http.Request, id int64) {
	ps, err := s.cfg.Cogov.ProposalProjects(r.Context(), actorFrom(r), id)
	if ps == nil {
		ps = []civicgrid.Project{}
	}
	answer(w, r, http.StatusOK, "projects", ps, err)
}

func (s *Server) handleAddSpending(w http.ResponseWriter, r *http.Request, id int64) {
	var in civicgrid.SpendingInput
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	sp, err := s.cfg.Cogov.AddSpending(r.Context(), actorFrom(r), id, in)
	answer(w, r, http.StatusCreated, "spending", sp, err)
}

func (s *Server) handleEditProject(w http.ResponseWriter, r *http.Request, id int64) {
	var in civicgrid.ProjectEdit
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.cfg.Cogov.EditProject(r.Context(), actorFrom(r), id, in)
	answer(w, r, http.StatusOK, "project", p, err)
}

func (s *Server) handleHideComment(w http.ResponseWriter, r *http.Request, id int64) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, cogovBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.cfg.Cogov.HideComment(r.Context(), actorFrom(r), id, in.Reason)
	answer(w, r, http.StatusOK, "comment", c, err)
}

// The project and comment routes' OpenAPI operations.
func init() {
	maps.Copy(operations, map[string]operation{
		"GET /api/v1/notices/projects":                           {summary: "The public notice board's projects of an area, with their progress (no personal data)", tag: "co-governance", query: []string{"area"}},
		"GET /api/v1/projects":                                   {summary: "Projects (共建共管共评共享) in the caller's scopes, newest first", tag: "co-governance"},
		"POST /api/v1/projects":                                  {summary: "Start a project from an adopted proposal or in one's scope", tag: "co-governance", request: civicgrid.ProjectInput{}, created: true},
		"GET /api/v1/projects/stats":                             {summary: "A scope's project indicators: projects, on-time milestones, satisfaction", tag: "co-governance", query: []string{"area", "period"}, response: civicgrid.ProjectStats{}},
		"GET /api/v1/projects/{id}":                              {summary: "One project: milestones with traffic lights, progress, comments, rating, history", tag: "co-governance"},
		"POST /api/v1/projects/{id}/milestones":                  {summary: "Add a milestone with its due date", tag: "co-governance", request: civicgrid.MilestoneInput{}, created: true},
		"POST /api/v1/projects/{id}/milestones/{milestone}/done": {summary: "Mark a milestone done", tag: "co-governance"},
		"POST /api/v1/projects/{id}/updates":                     {summary: "Post a progress report with photos (refs from POST /api/v1/photos)", tag: "co-governance", request: cogovern.UpdateInput{}, created: true},
		"POST /api/v1/projects/{id}/phase":                       {summary: "Move the project to its next phase (plan, build, manage, evaluate, share)", tag: "co-governance"},
		"POST /api/v1/projects/{id}/rating":                      {summary: "Rate an ended project 1–5, once (residents of its scope)", tag: "co-governance"},
		"POST /api/v1/projects/{id}/cases":                       {summary: "Link a case to the project", tag: "co-governance"},
		"POST /api/v1/projects/{id}/spending":                    {summary: "Enter spending against the budget (amount in yuan, day, purpose, receipt photo; past the budget with a reason)", tag: "co-governance", request: civicgrid.SpendingInput{}, created: true},
		"POST /api/v1/projects/{id}/edit":                        {summary: "Change a started project's title, owner or start, with a reason", tag: "co-governance", request: civicgrid.ProjectEdit{}},
		"GET /api/v1/projects/{id}/comments":                     {summary: "A project's comments with their replies", tag: "co-governance"},
		"POST /api/v1/projects/{id}/comments":                    {summary: "Comment on a project, or reply to a comment", tag: "co-governance", request: cogovern.CommentInput{}, created: true},
		"GET /api/v1/proposals/{id}/comments":                    {summary: "A proposal's comments with their replies", tag: "co-governance"},
		"POST /api/v1/proposals/{id}/comments":                   {summary: "Comment on a proposal, or reply to a comment", tag: "co-governance", request: cogovern.CommentInput{}, created: true},
		"GET /api/v1/proposals/{id}/projects":                    {summary: "The projects started from a proposal", tag: "co-governance"},
		"POST /api/v1/comments/{id}/hide":                        {summary: "Hide a comment with a reason shown in its place (moderators)", tag: "co-governance"},
	})
}
