package server

import (
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/volunteering"
)

// Volunteer service: requests for help, verification, claiming (接单),
// sign-in and sign-out, confirmation, one's hours. The volunteering service
// asks Authorize for every step; a request the caller may not read is "not
// found".

func (s *Server) volunteerRoutes(public func(string, string, http.HandlerFunc), guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	if s.cfg.Volunteer == nil {
		return
	}
	public("GET", "/api/v1/volunteer/certificates/verify", s.handleVerifyCertificate)
	guarded("GET", "/api/v1/volunteer/certificates", civicgrid.ActionCertifyHours, s.handleCertificates)
	guarded("POST", "/api/v1/volunteer/certificates", civicgrid.ActionCertifyHours, s.handleCertify)
	guarded("GET", "/api/v1/volunteer/certificates/{id}", civicgrid.ActionCertifyHours, withID(s.handleCertificate))
	guarded("GET", "/api/v1/volunteer/certificates/issued", civicgrid.ActionCertifyFor, s.handleIssuedCertificates)
	guarded("POST", "/api/v1/volunteer/certificates/{id}/revoke", civicgrid.ActionCertifyFor, withID(s.handleRevokeCertificate))
	guarded("POST", "/api/v1/volunteer/registrations/{id}/certificates", civicgrid.ActionCertifyFor, withID(s.handleCertifyFor))
	guarded("GET", "/api/v1/volunteer/services", civicgrid.ActionReadSelf, s.handleHelpServices)
	guarded("POST", "/api/v1/volunteer/requests", civicgrid.ActionAskHelp, s.handleAskHelp)
	guarded("GET", "/api/v1/volunteer/requests/mine", civicgrid.ActionReadHelp, s.handleMyHelp)
	guarded("GET", "/api/v1/volunteer/requests/open", civicgrid.ActionClaimHelp, s.handleOpenHelp)
	guarded("GET", "/api/v1/volunteer/requests/stream", civicgrid.ActionClaimHelp, s.handleOpenHelpStream)
	guarded("GET", "/api/v1/volunteer/requests/pending", civicgrid.ActionVerifyHelp, s.handlePendingHelp)
	guarded("GET", "/api/v1/volunteer/requests/waiting", civicgrid.ActionVerifyHelp, s.handleWaitingHelp)
	guarded("POST", "/api/v1/volunteer/requests/{id}/invite", civicgrid.ActionInviteHelp, withID(s.handleInviteHelp))
	guarded("GET", "/api/v1/volunteer/invitations", civicgrid.ActionClaimHelp, s.handleInvitations)
	guarded("POST", "/api/v1/volunteer/invitations/{id}/accept", civicgrid.ActionClaimHelp, withID(s.handleAcceptInvitation))
	guarded("POST", "/api/v1/volunteer/invitations/{id}/decline", civicgrid.ActionClaimHelp, withID(s.handleDeclineInvitation))
	guarded("GET", "/api/v1/volunteer/requests/{id}", civicgrid.ActionReadHelp, withID(s.handleHelpRequest))
	guarded("POST", "/api/v1/volunteer/requests/{id}/verify", civicgrid.ActionVerifyHelp, withID(s.handleVerifyHelp))
	guarded("POST", "/api/v1/volunteer/requests/{id}/claim", civicgrid.ActionClaimHelp, withID(s.handleClaimHelp))
	guarded("POST", "/api/v1/volunteer/requests/{id}/release", civicgrid.ActionServeHelp, withID(s.handleReleaseHelp))
	guarded("POST", "/api/v1/volunteer/requests/{id}/sign-in", civicgrid.ActionServeHelp, withID(s.handleSignIn))
	guarded("POST", "/api/v1/volunteer/requests/{id}/sign-out", civicgrid.ActionServeHelp, withID(s.handleSignOut))
	guarded("POST", "/api/v1/volunteer/requests/{id}/confirm", civicgrid.ActionConfirmHelp, withID(s.handleConfirmHelp))
	guarded("POST", "/api/v1/volunteer/requests/{id}/cancel", civicgrid.ActionConfirmHelp, withID(s.handleCancelHelp))
	guarded("GET", "/api/v1/volunteer/hours", civicgrid.ActionVolunteerHours, s.handleVolunteerHours)
	guarded("GET", "/api/v1/volunteer/timebank/statement", civicgrid.ActionTimeBank, s.handleTimeBankStatement)
	guarded("GET", "/api/v1/volunteer/timebank/entries", civicgrid.ActionTimeBank, s.handleTimeBankEntries)
	guarded("POST", "/api/v1/volunteer/timebank/donate", civicgrid.ActionTimeBank, s.handleTimeBankDonate)
	guarded("GET", "/api/v1/volunteer/timebank/accounts", civicgrid.ActionAdjustTimeBank, s.handleTimeBankAccounts)
	guarded("GET", "/api/v1/volunteer/timebank/accounts/{id}", civicgrid.ActionAdjustTimeBank, withID(s.handleMemberStatement))
	guarded("POST", "/api/v1/volunteer/timebank/adjust", civicgrid.ActionAdjustTimeBank, s.handleTimeBankAdjust)
	guarded("GET", "/api/v1/volunteer/profile", civicgrid.ActionRegisterVolunteer, s.handleVolunteerProfile)
	guarded("PUT", "/api/v1/volunteer/profile", civicgrid.ActionRegisterVolunteer, s.handleRegisterVolunteer)
	guarded("GET", "/api/v1/volunteer/registrations", civicgrid.ActionApproveVolunteer, s.handleRegistrations)
	guarded("POST", "/api/v1/volunteer/registrations/{id}/decide", civicgrid.ActionApproveVolunteer, withID(s.handleDecideRegistration))
	guarded("POST", "/api/v1/volunteer/registrations/{id}/id-number", civicgrid.ActionReadVolunteerID, withID(s.handleVolunteerIDNumber))
	guarded("GET", "/api/v1/volunteer/teams", civicgrid.ActionReadTeams, s.handleTeams)
	guarded("POST", "/api/v1/volunteer/teams", civicgrid.ActionManageTeams, s.handleFormTeam)
	guarded("GET", "/api/v1/volunteer/teams/{id}", civicgrid.ActionReadTeams, withID(s.handleTeam))
	guarded("POST", "/api/v1/volunteer/teams/{id}/join", civicgrid.ActionRegisterVolunteer, withID(s.handleJoinTeam))
	guarded("POST", "/api/v1/volunteer/teams/{id}/accept", civicgrid.ActionLeadTeam, withID(s.handleAcceptMember))
	guarded("POST", "/api/v1/volunteer/teams/{id}/leave", civicgrid.ActionRegisterVolunteer, withID(s.handleLeaveTeam))
	guarded("POST", "/api/v1/volunteer/teams/{id}/captain", civicgrid.ActionManageTeams, withID(s.handleChangeCaptain))
	guarded("GET", "/api/v1/volunteer/points", civicgrid.ActionReadTeams, s.handleServicePoints)
	guarded("POST", "/api/v1/volunteer/points", civicgrid.ActionManageTeams, s.handleAddServicePoint)
	guarded("GET", "/api/v1/volunteer/indicators", civicgrid.ActionReadIndicators, s.handleVolunteerIndicators)
}

// helpOpened is a request opened to volunteers, on the live streams' hub.
type helpOpened struct{ r civicgrid.HelpRequest }

// handleOpenHelpStream: GET /api/v1/volunteer/requests/stream sends a
// server-sent event ("request") for each request opened to volunteers —
// accepted by staff, or reopened by a release — to each volunteer who may
// claim it (their volunteer area covers the building), masked as in their
// open list. Only volunteers may hold it open.
func (s *Server) handleOpenHelpStream(w http.ResponseWriter, r *http.Request) {
	s.serveStream(w, r, func(a civicgrid.Actor) error {
		if err := streamAllowed(a, ""); err != nil {
			return err
		}
		if len(a.Scopes(civicgrid.ActionClaimHelp)) == 0 {
			return civicgrid.Errorf(civicgrid.EFORBIDDEN, "the live list of open requests is for volunteers (volunteer.claim)")
		}
		return nil
	}, func(a civicgrid.Actor, change any) (string, string, any, bool) {
		ch, ok := change.(helpOpened)
		if !ok {
			return "", "", nil, false
		}
		v, ok := s.cfg.Volunteer.OpenView(a, ch.r)
		if !ok {
			return "", "", nil, false
		}
		return fmt.Sprintf("request-%d-%d", ch.r.ID, ch.r.OpenedAt.UnixMilli()), "request", map[string]any{"request": v}, true
	})
}

// handleVolunteerIndicators: GET /api/v1/volunteer/indicators?scope=CODE
// &from=DATE&to=DATE — an area's volunteer indicators over days (default:
// the last 30), from the rollups; the scope and period are read as the case
// indicators' are.
func (s *Server) handleVolunteerIndicators(w http.ResponseWriter, r *http.Request) {
	iq, err := s.indicatorQuery(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	in, err := s.cfg.Volunteer.Indicators(r.Context(), actorFrom(r), iq.Scope, iq.From, iq.To)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

// handleServicePoints: GET /api/v1/volunteer/points?area=CODE lists an
// area's service points (服务站/驿站), for the map.
func (s *Server) handleServicePoints(w http.ResponseWriter, r *http.Request) {
	ps, err := s.cfg.Volunteer.ServicePoints(r.Context(), actorFrom(r), r.URL.Query().Get("area"))
	answer(w, r, http.StatusOK, "points", ps, err)
}

func (s *Server) handleAddServicePoint(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.ServicePointInput
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.cfg.Volunteer.AddServicePoint(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusCreated, "point", p, err)
}

// handleTeams: GET /api/v1/volunteer/teams?area=CODE lists an area's teams.
func (s *Server) handleTeams(w http.ResponseWriter, r *http.Request) {
	ts, err := s.cfg.Volunteer.Teams(r.Context(), actorFrom(r), r.URL.Query().Get("area"))
	answer(w, r, http.StatusOK, "teams", ts, err)
}

func (s *Server) handleFormTeam(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.TeamInput
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.cfg.Volunteer.FormTeam(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusCreated, "team", t, err)
}

func (s *Server) handleTeam(w http.ResponseWriter, r *http.Request, id int64) {
	v, err := s.cfg.Volunteer.Team(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "team", v, err)
}

func (s *Server) handleJoinTeam(w http.ResponseWriter, r *http.Request, id int64) {
	v, err := s.cfg.Volunteer.Join(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "team", v, err)
}

// acceptInput names the person taken into a team.
type acceptInput struct {
	UserID int64 `json:"user_id"`
}

func (s *Server) handleAcceptMember(w http.ResponseWriter, r *http.Request, id int64) {
	var in acceptInput
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Volunteer.Accept(r.Context(), actorFrom(r), id, in.UserID)
	answer(w, r, http.StatusOK, "team", v, err)
}

func (s *Server) handleLeaveTeam(w http.ResponseWriter, r *http.Request, id int64) {
	v, err := s.cfg.Volunteer.Leave(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "team", v, err)
}

// handleChangeCaptain: POST /api/v1/volunteer/teams/{id}/captain
// {"user_id"} names another captain (staff).
func (s *Server) handleChangeCaptain(w http.ResponseWriter, r *http.Request, id int64) {
	var in acceptInput
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Volunteer.ChangeCaptain(r.Context(), actorFrom(r), id, in.UserID)
	answer(w, r, http.StatusOK, "team", v, err)
}

func (s *Server) handleVolunteerProfile(w http.ResponseWriter, r *http.Request) {
	p, err := s.cfg.Volunteer.Profile(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "profile", p, err)
}

// handleRegisterVolunteer: PUT /api/v1/volunteer/profile registers, or
// changes one's registration.
func (s *Server) handleRegisterVolunteer(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.ProfileInput
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.cfg.Volunteer.Register(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusOK, "profile", p, err)
}

// handleRegistrations: GET /api/v1/volunteer/registrations[?status=…]
// lists the registrations of the caller's communities (pending by default).
func (s *Server) handleRegistrations(w http.ResponseWriter, r *http.Request) {
	ps, err := s.cfg.Volunteer.Registrations(r.Context(), actorFrom(r), civicgrid.ProfileStatus(r.URL.Query().Get("status")))
	answer(w, r, http.StatusOK, "registrations", ps, err)
}

// decideInput approves or declines a registration.
type decideInput struct {
	Decision string `json:"decision"` // approve or decline
	Reason   string `json:"reason"`   // required to decline
}

// handleDecideRegistration: POST /api/v1/volunteer/registrations/{user id}/decide.
func (s *Server) handleDecideRegistration(w http.ResponseWriter, r *http.Request, id int64) {
	var in decideInput
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.cfg.Volunteer.Decide(r.Context(), actorFrom(r), id, in.Decision, in.Reason)
	answer(w, r, http.StatusOK, "profile", p, err)
}

// handleVolunteerIDNumber: POST /api/v1/volunteer/registrations/{user
// id}/id-number {"reason"} shows a volunteer's full ID number to the staff
// of the registration's community, after logging the read (a
// personal_data.unmasked security event naming the volunteer and the
// reason; never the number).
func (s *Server) handleVolunteerIDNumber(w http.ResponseWriter, r *http.Request, id int64) {
	var req unmaskRequest
	if err := decodeJSON(w, r, volunteerBody, &req); err != nil {
		writeError(w, r, err)
		return
	}
	reason := strings.TrimSpace(req.Reason)
	if n := len([]rune(reason)); n < 2 || n > 200 {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "reason: say in 2 to 200 characters why you need the volunteer's full ID number"))
		return
	}
	p, err := s.cfg.Volunteer.IDNumber(r.Context(), actorFrom(r), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventUnmask, TargetUserID: p.UserID, AreaCode: p.Community,
		Detail: "volunteer ID number of " + p.VolunteerNo + ": " + reason})
	if err := s.store.AppendSecurityEvent(r.Context(), ev); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user_id": p.UserID, "volunteer_number": p.VolunteerNo, "id_number": p.IDNumber})
}

// inviteInput names the volunteer staff invite.
type inviteInput struct {
	UserID int64 `json:"user_id"`
}

func (s *Server) handleInviteHelp(w http.ResponseWriter, r *http.Request, id int64) {
	var in inviteInput
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	inv, err := s.cfg.Volunteer.Invite(r.Context(), actorFrom(r), id, in.UserID)
	answer(w, r, http.StatusCreated, "invitation", inv, err)
}

func (s *Server) handleInvitations(w http.ResponseWriter, r *http.Request) {
	invs, err := s.cfg.Volunteer.Invitations(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "invitations", invs, err)
}

func (s *Server) handleAcceptInvitation(w http.ResponseWriter, r *http.Request, id int64) {
	v, err := s.cfg.Volunteer.AcceptInvitation(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "request", v, err)
}

func (s *Server) handleDeclineInvitation(w http.ResponseWriter, r *http.Request, id int64) {
	var in helpStepInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
			writeError(w, r, err)
			return
		}
	}
	inv, err := s.cfg.Volunteer.DeclineInvitation(r.Context(), actorFrom(r), id, in.Reason)
	answer(w, r, http.StatusOK, "invitation", inv, err)
}

type certifyRequest struct {
	From string `json:"from"` // YYYY-MM
	To   string `json:"to"`   // YYYY-MM, included
}

// certificateJSON is a certificate with its printed number.
type certificateJSON struct {
	civicgrid.VolunteerCertificate
	Number string `json:"number"`
}

func certificatesJSON(cs []civicgrid.VolunteerCertificate) []certificateJSON {
	out := make([]certificateJSON, len(cs))
	for i, c := range cs {
		out[i] = certificateJSON{c, c.Number()}
	}
	return out
}

func (s *Server) handleCertify(w http.ResponseWriter, r *http.Request) {
	var in certifyRequest
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	cs, err := s.cfg.Volunteer.Certify(r.Context(), actorFrom(r), in.From, in.To)
	answer(w, r, http.StatusCreated, "certificates", certificatesJSON(cs), err)
}

func (s *Server) handleCertificates(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cfg.Volunteer.Certificates(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "certificates", certificatesJSON(cs), err)
}

func (s *Server) handleCertificate(w http.ResponseWriter, r *http.Request, id int64) {
	c, err := s.cfg.Volunteer.Certificate(r.Context(), actorFrom(r), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	hist, err := s.cfg.Volunteer.CertificateHistory(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "certificate", certificateDetail{certificateJSON{c, c.Number()}, hist,
		volunteering.CanRevokeCertificate(actorFrom(r), c)}, err)
}

// certificateDetail is a certificate with its history and whether the
// caller may revoke it.
type certificateDetail struct {
	certificateJSON
	History   []civicgrid.CertificateEvent `json:"history"`
	CanRevoke bool                         `json:"can_revoke"`
}

func (s *Server) handleIssuedCertificates(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cfg.Volunteer.IssuedCertificates(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "certificates", certificatesJSON(cs), err)
}

type revokeRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) handleRevokeCertificate(w http.ResponseWriter, r *http.Request, id int64) {
	var in revokeRequest
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.cfg.Volunteer.RevokeCertificate(r.Context(), actorFrom(r), id, in.Reason)
	answer(w, r, http.StatusOK, "certificate", certificateJSON{c, c.Number()}, err)
}

// handleCertifyFor: staff of the recording community issue a volunteer's
// certificates (the id is the volunteer's user id, as in registrations).
func (s *Server) handleCertifyFor(w http.ResponseWriter, r *http.Request, id int64) {
	var in certifyRequest
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	cs, err := s.cfg.Volunteer.CertifyFor(r.Context(), actorFrom(r), id, in.From, in.To)
	answer(w, r, http.StatusCreated, "certificates", certificatesJSON(cs), err)
}

// handleVerifyCertificate: GET /api/v1/volunteer/certificates/verify?code=…
// is public: the holder's name masked, hours, period, issuer and whether it
// was revoked. Throttled per client address (ThrottleLookup).
func (s *Server) handleVerifyCertificate(w http.ResponseWriter, r *http.Request) {
	if err := s.throttleLookup(w, r); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.cfg.Volunteer.VerifyCertificate(r.Context(), r.URL.Query().Get("code"))
	answer(w, r, http.StatusOK, "certificate", certificateJSON{c, c.Number()}, err)
}

// LookupsPerMinute is how many public look-ups by code (a certificate's
// verification) one client address may make a minute, with a burst of as
// many; each instance counts its own.
const LookupsPerMinute = 30

// throttleLookup takes one look-up from the client address's bucket; when
// it is empty it sets Retry-After and returns the refusal (429).
func (s *Server) throttleLookup(w http.ResponseWriter, r *http.Request) error {
	wait, ok := s.lookupLimit.allow(s.clientIP(r), s.now())
	if ok {
		return nil
	}
	secs := int(wait.Seconds()) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return civicgrid.Errorf(civicgrid.ETHROTTLED, "too many look-ups from this address; try again in %d s", secs)
}

// ThrottleLookup lets a public page that looks up by code (the web's
// certificate check) share the API's per-address look-up budget.
func (l *LocalAPI) ThrottleLookup(w http.ResponseWriter, r *http.Request) error {
	return l.Server.throttleLookup(w, r)
}

// volunteerBody bounds a request body (a note of 500 characters and an
// address of 200 are under 3 kB of UTF-8).
const volunteerBody = 8 << 10

func (s *Server) handleHelpServices(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"services": civicgrid.VolunteerServices, "skills": civicgrid.VolunteerSkills, "needs": civicgrid.HelpNeeds})
}

func (s *Server) handleAskHelp(w http.ResponseWriter, r *http.Request) {
	var in civicgrid.HelpInput
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cfg.Volunteer.Ask(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusCreated, "request", v, err)
}

func (s *Server) handleMyHelp(w http.ResponseWriter, r *http.Request) {
	vs, err := s.cfg.Volunteer.Mine(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "requests", vs, err)
}

// handleOpenHelp: GET /api/v1/volunteer/requests/open[?lat=…&lng=…] lists
// the requests the caller may claim, nearest first when lat/lng are given.
func (s *Server) handleOpenHelp(w http.ResponseWriter, r *http.Request) {
	at, err := pointFrom(r.URL.Query().Get("lat"), r.URL.Query().Get("lng"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	vs, err := s.cfg.Volunteer.Open(r.Context(), actorFrom(r), at)
	answer(w, r, http.StatusOK, "requests", vs, err)
}

func (s *Server) handlePendingHelp(w http.ResponseWriter, r *http.Request) {
	vs, err := s.cfg.Volunteer.Pending(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "requests", vs, err)
}

func (s *Server) handleWaitingHelp(w http.ResponseWriter, r *http.Request) {
	vs, err := s.cfg.Volunteer.Waiting(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "requests", vs, err)
}

func (s *Server) handleHelpRequest(w http.ResponseWriter, r *http.Request, id int64) {
	v, err := s.cfg.Volunteer.Request(r.Context(), actorFrom(r), id)
	answer(w, r, http.StatusOK, "request", v, err)
}

// helpStepInput is the body of the steps: a decision, a reason, where the
// volunteer stands, a rating.
type helpStepInput struct {
	Decision string   `json:"decision"`
	Reason   string   `json:"reason"`
	Lat      *float64 `json:"lat"`
	Lng      *float64 `json:"lng"`
	Rating   int      `json:"rating"`
	Comment  string   `json:"comment"`
	// PayWithTimeBank: the requester pays the service from their balance.
	PayWithTimeBank bool `json:"pay_with_time_bank"`
	// Code, on sign-in and sign-out: the code the person helped shows (no
	// position needed); Far: accept a sign-in beyond the radius, held for
	// staff confirmation.
	Code string `json:"code"`
	Far  bool   `json:"far"`
}

func (in helpStepInput) point() *volunteering.Point {
	if in.Lat == nil || in.Lng == nil {
		return nil
	}
	return &volunteering.Point{Lat: *in.Lat, Lng: *in.Lng}
}

// helpStep decodes the body (an empty body is an empty input) and runs do.
func (s *Server) helpStep(do func(r *http.Request, in helpStepInput) (volunteering.View, error)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		var in helpStepInput
		if r.ContentLength != 0 {
			if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
				writeError(w, r, err)
				return
			}
		}
		v, err := do(r, in)
		answer(w, r, http.StatusOK, "request", v, err)
	}
}

func (s *Server) handleVerifyHelp(w http.ResponseWriter, r *http.Request, id int64) {
	s.helpStep(func(r *http.Request, in helpStepInput) (volunteering.View, error) {
		return s.cfg.Volunteer.Verify(r.Context(), actorFrom(r), id, in.Decision, in.Reason)
	})(w, r)
}

func (s *Server) handleClaimHelp(w http.ResponseWriter, r *http.Request, id int64) {
	s.helpStep(func(r *http.Request, in helpStepInput) (volunteering.View, error) {
		return s.cfg.Volunteer.Claim(r.Context(), actorFrom(r), id)
	})(w, r)
}

func (s *Server) handleReleaseHelp(w http.ResponseWriter, r *http.Request, id int64) {
	s.helpStep(func(r *http.Request, in helpStepInput) (volunteering.View, error) {
		return s.cfg.Volunteer.Release(r.Context(), actorFrom(r), id, in.Reason)
	})(w, r)
}

func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request, id int64) {
	s.helpStep(func(r *http.Request, in helpStepInput) (volunteering.View, error) {
		return s.cfg.Volunteer.SignInWith(r.Context(), actorFrom(r), id, volunteering.Presence{At: in.point(), Code: in.Code, Far: in.Far})
	})(w, r)
}

func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request, id int64) {
	s.helpStep(func(r *http.Request, in helpStepInput) (volunteering.View, error) {
		return s.cfg.Volunteer.SignOutWith(r.Context(), actorFrom(r), id, volunteering.Presence{At: in.point(), Code: in.Code, Far: in.Far})
	})(w, r)
}

func (s *Server) handleConfirmHelp(w http.ResponseWriter, r *http.Request, id int64) {
	s.helpStep(func(r *http.Request, in helpStepInput) (volunteering.View, error) {
		return s.cfg.Volunteer.ConfirmPaying(r.Context(), actorFrom(r), id, in.Rating, in.Comment, in.PayWithTimeBank)
	})(w, r)
}

func (s *Server) handleCancelHelp(w http.ResponseWriter, r *http.Request, id int64) {
	s.helpStep(func(r *http.Request, in helpStepInput) (volunteering.View, error) {
		return s.cfg.Volunteer.Cancel(r.Context(), actorFrom(r), id, in.Reason)
	})(w, r)
}

func (s *Server) handleVolunteerHours(w http.ResponseWriter, r *http.Request) {
	h, err := s.cfg.Volunteer.Hours(r.Context(), actorFrom(r))
	answer(w, r, http.StatusOK, "hours", h, err)
}

// handleTimeBankStatement: GET /api/v1/volunteer/timebank/statement[?month=YYYY-MM]
// is the caller's own account for a month.
func (s *Server) handleTimeBankStatement(w http.ResponseWriter, r *http.Request) {
	st, err := s.cfg.Volunteer.Statement(r.Context(), actorFrom(r), r.URL.Query().Get("month"))
	answer(w, r, http.StatusOK, "statement", st, err)
}

// handleTimeBankEntries: GET /api/v1/volunteer/timebank/entries[?before=CURSOR]
// is a page of the caller's own account, newest first, with the balance and
// the cursor of the older page.
func (s *Server) handleTimeBankEntries(w http.ResponseWriter, r *http.Request) {
	p, err := s.cfg.Volunteer.Entries(r.Context(), actorFrom(r), r.URL.Query().Get("before"))
	answer(w, r, http.StatusOK, "statement", p, err)
}

// handleTimeBankAdjust: POST /api/v1/volunteer/timebank/adjust grants
// (positive minutes) or takes back (negative) with a reason.
func (s *Server) handleTimeBankAdjust(w http.ResponseWriter, r *http.Request) {
	var in volunteering.Adjustment
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	h, err := s.cfg.Volunteer.Adjust(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusOK, "account", h, err)
}

// handleTimeBankDonate: POST /api/v1/volunteer/timebank/donate gives
// minutes of one's balance to a family member (a resident of one's
// community), with a reason.
func (s *Server) handleTimeBankDonate(w http.ResponseWriter, r *http.Request) {
	var in volunteering.Donation
	if err := decodeJSON(w, r, volunteerBody, &in); err != nil {
		writeError(w, r, err)
		return
	}
	h, err := s.cfg.Volunteer.Donate(r.Context(), actorFrom(r), in)
	answer(w, r, http.StatusOK, "account", h, err)
}

// handleTimeBankAccounts: GET /api/v1/volunteer/timebank/accounts?community=
// — a community's time-bank accounts for its staff (names masked).
func (s *Server) handleTimeBankAccounts(w http.ResponseWriter, r *http.Request) {
	a, err := s.cfg.Volunteer.Accounts(r.Context(), actorFrom(r), r.URL.Query().Get("community"))
	answer(w, r, http.StatusOK, "accounts", a, err)
}

// handleMemberStatement: GET /api/v1/volunteer/timebank/accounts/{user
// id}?community=[&before=] — a member's statement for the community's staff.
func (s *Server) handleMemberStatement(w http.ResponseWriter, r *http.Request, id int64) {
	q := r.URL.Query()
	p, m, err := s.cfg.Volunteer.MemberStatement(r.Context(), actorFrom(r), q.Get("community"), id, q.Get("before"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"member": m, "statement": p})
}

// pointFrom reads an optional lat/lng pair of a query.
func pointFrom(lat, lng string) (*volunteering.Point, error) {
	if lat == "" && lng == "" {
		return nil, nil
	}
	la, err1 := strconv.ParseFloat(lat, 64)
	ln, err2 := strconv.ParseFloat(lng, 64)
	if err1 != nil || err2 != nil {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "lat and lng must both be numbers")
	}
	return &volunteering.Point{Lat: la, Lng: ln}, nil
}

// The volunteer service's OpenAPI operations.
func init() {
	maps.Copy(operations, map[string]operation{
		"GET /api/v1/volunteer/requests/stream":                  {summary: "Requests opened to volunteers, live (server-sent events \"request\"): to each volunteer whose area covers the building", tag: "volunteers", produces: "text/event-stream"},
		"GET /api/v1/volunteer/indicators":                       {summary: "An area's volunteer indicators over days: requests, answered in time, taken in time, completed, hours served, satisfaction, active volunteers (from the rollups)", tag: "volunteers", query: []string{"scope", "from", "to"}, response: civicgrid.VolunteerIndicators{}},
		"GET /api/v1/volunteer/services":                         {summary: "The catalogue of kinds of help (代购, 助餐, 陪诊 …)", tag: "volunteers"},
		"POST /api/v1/volunteer/requests":                        {summary: "Ask for help at a building, for oneself or on someone's behalf (代办)", tag: "volunteers", request: civicgrid.HelpInput{}, created: true},
		"GET /api/v1/volunteer/requests/mine":                    {summary: "The requests one posted or serves", tag: "volunteers"},
		"GET /api/v1/volunteer/requests/open":                    {summary: "Requests one may claim (接单), nearest first with lat and lng", tag: "volunteers", query: []string{"lat:number", "lng:number"}},
		"GET /api/v1/volunteer/requests/pending":                 {summary: "Requests waiting for the community's verification", tag: "volunteers"},
		"POST /api/v1/volunteer/requests/{id}/invite":            {summary: "Staff invite an approved volunteer whose area covers an open request (nothing happens until the volunteer accepts)", tag: "volunteers", request: inviteInput{}},
		"GET /api/v1/volunteer/invitations":                      {summary: "One's open invitations to requests still open, with the request", tag: "volunteers"},
		"POST /api/v1/volunteer/invitations/{id}/accept":         {summary: "Accept an invitation: claims the request (exactly once, 409 when taken)", tag: "volunteers"},
		"POST /api/v1/volunteer/invitations/{id}/decline":        {summary: "Decline an invitation, with an optional reason", tag: "volunteers", request: helpStepInput{}},
		"GET /api/v1/volunteer/requests/waiting":                 {summary: "Open requests of one's area no volunteer took yet (staff), red (past the take-by time) first", tag: "volunteers"},
		"GET /api/v1/volunteer/requests/{id}":                    {summary: "One request (the address only to the poster, the volunteer who took it and staff)", tag: "volunteers"},
		"POST /api/v1/volunteer/requests/{id}/verify":            {summary: "The community accepts or declines a request, with a reason", tag: "volunteers", request: helpStepInput{}},
		"POST /api/v1/volunteer/requests/{id}/claim":             {summary: "Claim a request (接单): exactly once, 409 when taken", tag: "volunteers"},
		"POST /api/v1/volunteer/requests/{id}/release":           {summary: "Give a claimed request back, with a reason", tag: "volunteers", request: helpStepInput{}},
		"POST /api/v1/volunteer/requests/{id}/sign-in":           {summary: "Sign in at the place (within the radius), or by the code the person helped shows; far (held for staff) on request", tag: "volunteers", request: helpStepInput{}},
		"POST /api/v1/volunteer/requests/{id}/sign-out":          {summary: "Sign out (at the place or by the code): the time served becomes hours; over the window, held for staff", tag: "volunteers", request: helpStepInput{}},
		"POST /api/v1/volunteer/requests/{id}/confirm":           {summary: "Confirm and rate the service (the poster, or staff for them)", tag: "volunteers", request: helpStepInput{}},
		"POST /api/v1/volunteer/requests/{id}/cancel":            {summary: "Withdraw a request, with a reason", tag: "volunteers", request: helpStepInput{}},
		"GET /api/v1/volunteer/hours":                            {summary: "One's confirmed hours and star level", tag: "volunteers"},
		"GET /api/v1/volunteer/timebank/statement":               {summary: "One's time-bank statement for a month (anyone logged in: one's own account)", tag: "volunteers", query: []string{"month"}},
		"GET /api/v1/volunteer/timebank/entries":                 {summary: "One's time-bank account a page at a time (50, newest first): the balance, the entries and the older page's cursor", tag: "volunteers", query: []string{"before"}},
		"POST /api/v1/volunteer/timebank/donate":                 {summary: "Give minutes of one's time-bank balance to a family member (a resident of one's community), with a reason; the floor holds", tag: "volunteers", request: volunteering.Donation{}},
		"GET /api/v1/volunteer/timebank/accounts":                {summary: "A community's time-bank accounts (staff): the issuing account and its people's balances, names masked", tag: "volunteers", query: []string{"community"}},
		"GET /api/v1/volunteer/timebank/accounts/{id}":           {summary: "A member's time-bank statement for the community's staff (id: the user), a page at a time", tag: "volunteers", query: []string{"community", "before"}},
		"POST /api/v1/volunteer/timebank/adjust":                 {summary: "Staff credit or debit a time-bank account, with a reason", tag: "volunteers", request: volunteering.Adjustment{}},
		"GET /api/v1/volunteer/certificates/verify":              {summary: "Check a certificate's verification code (public: masked name, hours, period, issuer)", tag: "volunteers", query: []string{"code"}},
		"GET /api/v1/volunteer/certificates":                     {summary: "One's certificates of service hours", tag: "volunteers"},
		"POST /api/v1/volunteer/certificates":                    {summary: "Issue one's certificates for a period of months: one per community that recorded service", tag: "volunteers", request: certifyRequest{}, created: true},
		"GET /api/v1/volunteer/certificates/{id}":                {summary: "A certificate with its records and history: its holder, or staff of the issuing community", tag: "volunteers"},
		"GET /api/v1/volunteer/certificates/issued":              {summary: "Certificates the communities of one's area issued (staff)", tag: "volunteers"},
		"POST /api/v1/volunteer/certificates/{id}/revoke":        {summary: "Revoke a certificate with a reason (staff of the issuing community); its public check then says revoked", tag: "volunteers", request: revokeRequest{}},
		"POST /api/v1/volunteer/registrations/{id}/certificates": {summary: "Issue a volunteer's certificates for a period of months, for the communities one certifies for (staff)", tag: "volunteers", request: certifyRequest{}, created: true},
		"GET /api/v1/volunteer/profile":                          {summary: "One's volunteer registration (skills, availability, areas, training, insurance, consent)", tag: "volunteers"},
		"PUT /api/v1/volunteer/profile":                          {summary: "Register as a volunteer, or change one's registration (approved by the community's staff)", tag: "volunteers", request: civicgrid.ProfileInput{}},
		"GET /api/v1/volunteer/registrations":                    {summary: "Registrations of one's communities (staff), pending by default", tag: "volunteers", query: []string{"status"}},
		"GET /api/v1/volunteer/teams":                            {summary: "The volunteer teams of an area (riders', building, lecture teams)", tag: "volunteers", query: []string{"area"}},
		"POST /api/v1/volunteer/teams":                           {summary: "Form a volunteer team with its captain (community staff)", tag: "volunteers", request: civicgrid.TeamInput{}, created: true},
		"GET /api/v1/volunteer/teams/{id}":                       {summary: "A team with its members (requests to join only for its captain and staff)", tag: "volunteers"},
		"POST /api/v1/volunteer/teams/{id}/join":                 {summary: "Ask to join a team (approved volunteers of its community)", tag: "volunteers"},
		"POST /api/v1/volunteer/teams/{id}/leave":                {summary: "Leave a team (or withdraw one's request to join); the captain does not leave", tag: "volunteers"},
		"POST /api/v1/volunteer/teams/{id}/captain":              {summary: "Name another captain among the team's members (community staff)", tag: "volunteers", request: acceptInput{}},
		"POST /api/v1/volunteer/teams/{id}/accept":               {summary: "Accept a volunteer who asked to join (the captain or staff)", tag: "volunteers", request: acceptInput{}},
		"GET /api/v1/volunteer/points":                           {summary: "Volunteer service points (服务站/驿站) of an area, for the map", tag: "volunteers", query: []string{"area"}},
		"POST /api/v1/volunteer/points":                          {summary: "Add a service point: place, opening hours, what it offers (community staff)", tag: "volunteers", request: civicgrid.ServicePointInput{}, created: true},
		"POST /api/v1/volunteer/registrations/{id}/id-number":    {summary: "A volunteer's full ID number, with a reason: the staff of the registration's community; the read is logged", tag: "volunteers", request: unmaskRequest{}},
		"POST /api/v1/volunteer/registrations/{id}/decide":       {summary: "Approve a volunteer's registration, or decline it with a reason (id: the user)", tag: "volunteers", request: decideInput{}},
	})
}
