package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/siteurl"
	"github.com/civicgrid/civicgrid/volunteering"
)

// Volunteer is what the volunteer pages need (volunteering.Service has
// it); it asks Authorize for every step.
type Volunteer interface {
	Ask(ctx context.Context, actor civicgrid.Actor, in civicgrid.HelpInput) (civicgrid.HelpRequest, error)
	Open(ctx context.Context, actor civicgrid.Actor, at *volunteering.Point) ([]volunteering.View, error)
	Pending(ctx context.Context, actor civicgrid.Actor) ([]volunteering.View, error)
	Waiting(ctx context.Context, actor civicgrid.Actor) ([]volunteering.View, error)
	Request(ctx context.Context, actor civicgrid.Actor, id int64) (volunteering.View, error)
	Indicators(ctx context.Context, actor civicgrid.Actor, scope string, from, to time.Time) (civicgrid.VolunteerIndicators, error)
	Invite(ctx context.Context, actor civicgrid.Actor, id, userID int64) (civicgrid.HelpInvitation, error)
	Invitations(ctx context.Context, actor civicgrid.Actor) ([]volunteering.Invitation, error)
	AcceptInvitation(ctx context.Context, actor civicgrid.Actor, id int64) (volunteering.View, error)
	DeclineInvitation(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (civicgrid.HelpInvitation, error)
	Done(ctx context.Context, actor civicgrid.Actor) ([]volunteering.View, error)
	Mine(ctx context.Context, actor civicgrid.Actor) ([]volunteering.View, error)
	Verify(ctx context.Context, actor civicgrid.Actor, id int64, decision, reason string) (volunteering.View, error)
	Claim(ctx context.Context, actor civicgrid.Actor, id int64) (volunteering.View, error)
	Release(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (volunteering.View, error)
	SignIn(ctx context.Context, actor civicgrid.Actor, id int64, at *volunteering.Point) (volunteering.View, error)
	SignOut(ctx context.Context, actor civicgrid.Actor, id int64, at *volunteering.Point) (volunteering.View, error)
	SignInWith(ctx context.Context, actor civicgrid.Actor, id int64, p volunteering.Presence) (volunteering.View, error)
	SignOutWith(ctx context.Context, actor civicgrid.Actor, id int64, p volunteering.Presence) (volunteering.View, error)
	Correct(ctx context.Context, actor civicgrid.Actor, id int64, in volunteering.Correction) (volunteering.View, error)
	RenewCode(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (volunteering.View, error)
	FromCaseRequest(ctx context.Context, actor civicgrid.Actor, caseID int64, in volunteering.FromCase) (volunteering.View, error)
	RequestToCase(ctx context.Context, actor civicgrid.Actor, id int64, in volunteering.ToCase) (volunteering.View, error)
	RequestOfCase(ctx context.Context, actor civicgrid.Actor, caseID int64) (int64, error)
	ConfirmPaying(ctx context.Context, actor civicgrid.Actor, id int64, rating int, comment string, pay bool) (volunteering.View, error)
	Cancel(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (volunteering.View, error)
	Hours(ctx context.Context, actor civicgrid.Actor) (volunteering.Hours, error)
	Entries(ctx context.Context, actor civicgrid.Actor, before string) (volunteering.StatementPage, error)
	Donate(ctx context.Context, actor civicgrid.Actor, in volunteering.Donation) (volunteering.Hours, error)
	Certify(ctx context.Context, actor civicgrid.Actor, fromMonth, toMonth string) ([]civicgrid.VolunteerCertificate, error)
	Certificates(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.VolunteerCertificate, error)
	Certificate(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.VolunteerCertificate, error)
	VerifyCertificate(ctx context.Context, code string) (civicgrid.VolunteerCertificate, error)
	CertificateHistory(ctx context.Context, actor civicgrid.Actor, id int64) ([]civicgrid.CertificateEvent, error)
	RevokeCertificate(ctx context.Context, actor civicgrid.Actor, id int64, reason string) (civicgrid.VolunteerCertificate, error)
	IssuedCertificates(ctx context.Context, actor civicgrid.Actor) ([]civicgrid.VolunteerCertificate, error)
	CertifyFor(ctx context.Context, actor civicgrid.Actor, userID int64, fromMonth, toMonth string) ([]civicgrid.VolunteerCertificate, error)
	Register(ctx context.Context, actor civicgrid.Actor, in civicgrid.ProfileInput) (civicgrid.VolunteerProfile, error)
	Profile(ctx context.Context, actor civicgrid.Actor) (civicgrid.VolunteerProfile, error)
	Registrations(ctx context.Context, actor civicgrid.Actor, status civicgrid.ProfileStatus) ([]civicgrid.VolunteerProfile, error)
	Decide(ctx context.Context, actor civicgrid.Actor, userID int64, decision, reason string) (civicgrid.VolunteerProfile, error)
	Teams(ctx context.Context, actor civicgrid.Actor, area string) ([]civicgrid.Team, error)
	Team(ctx context.Context, actor civicgrid.Actor, id int64) (volunteering.TeamView, error)
	FormTeam(ctx context.Context, actor civicgrid.Actor, in civicgrid.TeamInput) (civicgrid.Team, error)
	Join(ctx context.Context, actor civicgrid.Actor, id int64) (volunteering.TeamView, error)
	Accept(ctx context.Context, actor civicgrid.Actor, id, userID int64) (volunteering.TeamView, error)
	Leave(ctx context.Context, actor civicgrid.Actor, id int64) (volunteering.TeamView, error)
	ServicePoints(ctx context.Context, actor civicgrid.Actor, area string) ([]civicgrid.ServicePoint, error)
	Adjust(ctx context.Context, actor civicgrid.Actor, in volunteering.Adjustment) (volunteering.Hours, error)
	Accounts(ctx context.Context, actor civicgrid.Actor, community string) (volunteering.CommunityAccounts, error)
	MemberStatement(ctx context.Context, actor civicgrid.Actor, community string, userID int64, before string) (volunteering.StatementPage, volunteering.MemberBalance, error)
}

// volunteerView is what the pages /help and /volunteer show.
type volunteerView struct {
	View      string // ask, work
	Services  []civicgrid.VolunteerService
	Needs     []civicgrid.HelpNeed // what a request may need (matching)
	Buildings []scopeOption        // where the reader may ask
	OnBehalf  bool                 // the reader may ask on someone's behalf
	Mine      []helpRow            // the reader's own requests (ask) or claims (work)
	Open      []helpRow
	Pending   []helpRow
	Waiting   []helpRow // open, not taken yet (staff), red first
	Request   *helpRow  // the request page's
	// Invitations are the reader's open invitations (a volunteer);
	// Invitees the approved volunteers staff may invite on the request page.
	Invitations []invitationRow
	Invitees    []civicgrid.VolunteerProfile
	CodeLocked  bool      // the request's sign-in code is locked now (staff see why)
	Categories  []option  // the case categories a request may become
	ToConfirm   []helpRow // served, for staff to confirm for someone without a phone
	Hours       *volunteering.Hours
	Stars       string                      // ★★☆☆☆, from the star level
	Ledger      *volunteering.StatementPage // a page of the time-bank account, newest first
	LedgerPaged bool                        // the page is an older one
	Volunteer   bool                        // the reader holds a volunteer grant
	Ratings     []int
	CSRF        string
	// the certificates pages
	Certificates []certificateRow
	Issued       []certificateRow // staff: what their communities issued
	// CertifyFor: the reader (staff) issues certificates for volunteers,
	// chosen among CertVolunteers (approved in the reader's communities).
	CertifyFor     bool
	CertVolunteers []registrationRow
	Certificate    *certificateRow
	CertHistory    []civicgrid.CertificateEvent
	CanRevoke      bool
	Code           string // the code asked about on the public check
	Month          string // this month, YYYY-MM, the form's default
	// registration
	Profile       *civicgrid.VolunteerProfile // the reader's own, nil when none
	Skills        []civicgrid.VolunteerSkill
	SkillChoices  []skillChoice // the form's, the reader's checked
	AreasText     string        // the reader's areas served, space-separated
	Communities   []scopeOption // where the reader may register
	Registrations []registrationRow
	Today         string // YYYY-MM-DD, the date inputs' bound
	// teams
	Teams     []teamRow
	TeamKinds []civicgrid.VolunteerSkill
	Captains  []civicgrid.VolunteerProfile // approved volunteers staff may name captain
	FormTeams []scopeOption                // communities where the reader forms teams
	// the time-bank accounts page (staff)
	TBCommunities []scopeOption // the communities the reader keeps accounts of
	TBCommunity   string        // the one shown
	TBName        string
	Accounts      *volunteering.CommunityAccounts
	Member        *volunteering.MemberBalance // the member whose statement is shown
	TimeBankStaff bool                        // the reader keeps time-bank accounts (a link on /volunteer)
}

// teamRow is a team as the page shows it.
type teamRow struct {
	volunteering.TeamView
	Kind     civicgrid.VolunteerSkill // the kind's names
	CanJoin  bool
	CanLeave bool                   // a member (or asker) who is not the captain
	Waiting  []civicgrid.TeamMember // requests the reader may accept
	Mine     string                 // the reader's own status in it
}

type skillChoice struct {
	civicgrid.VolunteerSkill
	Checked bool
}

// registrationRow is a registration as staff see it.
type registrationRow struct {
	civicgrid.VolunteerProfile
	CommunityName string
}

// certificateRow is a certificate as the pages show it.
type certificateRow struct {
	civicgrid.VolunteerCertificate
	Number, Period, Hours string
	Lines                 []certificateLine
}

// certificateLine is one service record of a certificate.
type certificateLine struct {
	civicgrid.CertificateRecord
	Svc   civicgrid.VolunteerService // the service's names
	Hours string
}

func (ui *UI) certificateRow(c civicgrid.VolunteerCertificate) certificateRow {
	loc := ui.location()
	last := c.To.In(loc).AddDate(0, 0, -1)
	row := certificateRow{VolunteerCertificate: c, Number: c.Number(),
		Period: c.From.In(loc).Format("2006-01-02") + " – " + last.Format("2006-01-02"),
		Hours:  hoursText(c.Minutes)}
	for _, r := range c.Records {
		svc, ok := civicgrid.LookupVolunteerService(r.Service)
		if !ok {
			svc = civicgrid.VolunteerService{Code: r.Service, NameZH: r.Service, NameEN: r.Service}
		}
		row.Lines = append(row.Lines, certificateLine{r, svc, hoursText(r.Minutes)})
	}
	return row
}

// verifyPath is the public check of a certificate's code.
func verifyPath(code string) string { return "/verify/certificate/" + url.PathEscape(code) }

// invitationRow is an invitation with its request as the page shows it.
type invitationRow struct {
	civicgrid.HelpInvitation
	Request helpRow
}

type helpRow struct {
	volunteering.View
	AreaName string
}

func (ui *UI) registerVolunteer(mux *http.ServeMux) {
	if ui.cfg.Volunteer == nil {
		return
	}
	mux.HandleFunc("GET /help", ui.handleHelpPage)
	mux.HandleFunc("POST /help", ui.handleAskForm)
	mux.HandleFunc("GET /volunteer", ui.handleVolunteerPage)
	mux.HandleFunc("GET /volunteer/requests/{id}", ui.handleHelpRequestPage)
	mux.HandleFunc("POST /volunteer/requests/{id}/invite", ui.handleInviteForm)
	mux.HandleFunc("POST /volunteer/invitations/{id}/{answer}", ui.handleInvitationForm)
	mux.HandleFunc("POST /help/{id}/{step}", ui.handleHelpStep("/help"))
	mux.HandleFunc("POST /volunteer/{id}/{step}", ui.handleHelpStep("/volunteer"))
	mux.HandleFunc("POST /volunteer/profile", ui.handleRegisterForm)
	mux.HandleFunc("POST /volunteer/timebank/donate", ui.handleDonateForm)
	mux.HandleFunc("GET /volunteer/timebank", ui.handleTimeBankPage)
	mux.HandleFunc("POST /volunteer/timebank/adjust", ui.handleAdjustForm)
	mux.HandleFunc("POST /volunteer/teams", ui.handleTeamForm)
	mux.HandleFunc("POST /volunteer/teams/{id}/{step}", ui.handleTeamStep)
	mux.HandleFunc("POST /volunteer/registrations/{id}/{decision}", ui.handleDecideForm)
	mux.HandleFunc("GET /volunteer/certificates", ui.handleCertificatesPage)
	mux.HandleFunc("POST /volunteer/certificates", ui.handleCertifyForm)
	mux.HandleFunc("GET /volunteer/certificates/{id}", ui.handleCertificatePage)
	mux.HandleFunc("GET /certificates/verify", ui.handleVerifyCertificatePage)
	mux.HandleFunc("GET /verify/certificate/{code}", ui.handleVerifyCertificatePage)
	mux.HandleFunc("GET /volunteer/certificates/{id}/qr.png", ui.handleCertificateQR)
	mux.HandleFunc("GET /volunteer/certificates/{id}/pdf", ui.handleCertificatePDF)
	mux.HandleFunc("POST /volunteer/certificates/{id}/revoke", ui.handleRevokeCertificateForm)
	mux.HandleFunc("POST /volunteer/cases/{id}/request", ui.handleCaseToRequestForm)
	mux.HandleFunc("POST /volunteer/certificates/for", ui.handleCertifyForForm)
}

// handleCertifyForForm: staff of the recording community issue a
// volunteer's certificates for a period, then to the certificate (one
// community) or back to the list (several, or what failed).
func (ui *UI) handleCertifyForForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	userID, err := strconv.ParseInt(r.PostForm.Get("user_id"), 10, 64)
	if err != nil || userID <= 0 {
		backTo(w, r, "/volunteer/certificates", "certified", civicgrid.Errorf(civicgrid.EINVALID, "choose the volunteer"))
		return
	}
	cs, err := ui.cfg.Volunteer.CertifyFor(r.Context(), actor, userID, r.PostForm.Get("from"), r.PostForm.Get("to"))
	if err != nil || len(cs) != 1 {
		backTo(w, r, "/volunteer/certificates", "certified", err)
		return
	}
	backTo(w, r, "/volunteer/certificates/"+strconv.FormatInt(cs[0].ID, 10), "certified", nil)
}

// caseToRequestForm is the case page's form turning the case into a
// request for help on someone's behalf.
type caseToRequestForm struct {
	Services []civicgrid.VolunteerService
	Building string // the case's building; empty: the form asks for one
	CSRF     string
}

// caseRequest fills the case page's link to the request the case became
// (for readers of the request) or, for those who may ask on someone's
// behalf there, the form to make one.
func (ui *UI) caseRequest(r *http.Request, p *page, actor civicgrid.Actor, c civicgrid.Case) error {
	id, err := ui.cfg.Volunteer.RequestOfCase(r.Context(), actor, c.ID)
	if err != nil || id != 0 {
		p.CaseRequest = id
		return err
	}
	where := c.BuildingCode
	if where == "" {
		where = c.GridCode
	}
	if where == "" || civicgrid.Authorize(actor, civicgrid.ActionAskHelpFor, civicgrid.In(where)) != nil ||
		civicgrid.Authorize(actor, civicgrid.ActionReadCase, c.Object()) != nil {
		return nil
	}
	p.CaseToRequest = &caseToRequestForm{Services: civicgrid.VolunteerServices, Building: c.BuildingCode, CSRF: actor.CSRFToken}
	return nil
}

// handleCaseToRequestForm turns a case into a request for help, then to
// the request's page (or back to the case with what failed).
func (ui *UI) handleCaseToRequestForm(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	v, err := ui.cfg.Volunteer.FromCaseRequest(r.Context(), actor, id, volunteering.FromCase{Service: f.Get("service"), Beneficiary: f.Get("beneficiary"),
		Contact: f.Get("contact"), Note: f.Get("note"), BuildingCode: strings.TrimSpace(f.Get("building_code")), Urgency: f.Get("urgency")})
	if err != nil {
		backTo(w, r, "/cases/"+strconv.FormatInt(id, 10), "to_request", err)
		return
	}
	backTo(w, r, "/volunteer/requests/"+strconv.FormatInt(v.ID, 10), "from_case", nil)
}

func (ui *UI) volunteerPage(w http.ResponseWriter, r *http.Request, view string) (*page, civicgrid.Actor, bool) {
	p, actor, ok := ui.outcomePage(w, r, "vol.")
	if ok {
		p.Volunteer = &volunteerView{View: view, CSRF: actor.CSRFToken, Services: civicgrid.VolunteerServices, Needs: civicgrid.HelpNeeds,
			Ratings: []int{5, 4, 3, 2, 1}}
	}
	return p, actor, ok
}

// outcomePage is a logged-in page that shows a form's outcome (backTo):
// the failure as the catalogue's prefix+"failed_"+code, or what was done
// as prefix+"done_"+done.
func (ui *UI) outcomePage(w http.ResponseWriter, r *http.Request, prefix string) (*page, civicgrid.Actor, bool) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return nil, actor, false
	}
	p := ui.newPage(w, r)
	if !p.failedFlash(r.URL.Query(), prefix+"failed_") {
		if done := r.URL.Query().Get("done"); done != "" {
			p.Flash = p.catalogue[prefix+"done_"+done]
		}
	}
	return p, actor, true
}

func (ui *UI) helpRows(r *http.Request, vs []volunteering.View) []helpRow {
	names := ui.areaNames(r)
	out := make([]helpRow, len(vs))
	for i, v := range vs {
		out[i] = helpRow{v, names(v.BuildingCode)}
	}
	return out
}

// handleHelpRequestPage serves /volunteer/requests/{id}: one request as
// the reader may see it, with its traffic light while open and its
// history.
func (ui *UI) handleHelpRequestPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.volunteerPage(w, r, "request")
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	v, err := ui.cfg.Volunteer.Request(r.Context(), actor, id)
	if ui.itemFailed(w, r, p, err, "vol.failed_not_found") {
		return
	}
	row := ui.helpRows(r, []volunteering.View{v})[0]
	p.Volunteer.Request = &row
	p.Volunteer.CodeLocked = v.CodeLock != nil && v.CodeLock.Locked(time.Now())
	if v.CanToCase && ui.cfg.Cases != nil {
		cats, err := ui.cfg.Cases.Categories(r.Context())
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		for _, c := range cats {
			p.Volunteer.Categories = append(p.Volunteer.Categories, option{c.Code, p.catName(c)})
		}
	}
	if v.CanInvite && len(v.BuildingCode) >= 12 {
		p.Volunteer.Skills = civicgrid.VolunteerSkills // the invitees' skills by name
		ps, err := ui.cfg.Volunteer.Registrations(r.Context(), actor, civicgrid.ProfileApproved)
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		for _, x := range ps {
			if x.Community == v.BuildingCode[:12] && x.UserID != v.PosterID {
				p.Volunteer.Invitees = append(p.Volunteer.Invitees, x)
			}
		}
	}
	p.Title, _ = p.catalogue.T("vol.request_title", "id", id)
	ui.render(w, http.StatusOK, "volunteer", p)
}

// handleInviteForm invites the volunteer chosen on the request page.
func (ui *UI) handleInviteForm(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	userID, _ := strconv.ParseInt(r.PostForm.Get("user_id"), 10, 64)
	_, err := ui.cfg.Volunteer.Invite(r.Context(), actor, id, userID)
	backTo(w, r, "/volunteer/requests/"+strconv.FormatInt(id, 10), "invite", err)
}

// handleInvitationForm accepts (claims) or declines one's invitation.
func (ui *UI) handleInvitationForm(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	var err error
	switch answer := r.PathValue("answer"); answer {
	case "accept":
		_, err = ui.cfg.Volunteer.AcceptInvitation(r.Context(), actor, id)
	case "decline":
		_, err = ui.cfg.Volunteer.DeclineInvitation(r.Context(), actor, id, r.PostForm.Get("reason"))
	default:
		http.NotFound(w, r)
		return
	}
	backTo(w, r, "/volunteer", "invite_"+r.PathValue("answer"), err)
}

// handleHelpPage serves /help: ask for help in three steps (what, where
// and when, who and how to reach them), and one's requests with the steps
// one may take on them (confirm and rate, cancel).
func (ui *UI) handleHelpPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.volunteerPage(w, r, "ask")
	if !ok {
		return
	}
	names := ui.areaNames(r)
	for _, g := range actor.Grants {
		if len(g.AreaCode) == 19 && civicgrid.Authorize(actor, civicgrid.ActionAskHelp, civicgrid.In(g.AreaCode)) == nil {
			p.Volunteer.Buildings = append(p.Volunteer.Buildings, scopeOption{g.AreaCode, names(g.AreaCode)})
		}
		if civicgrid.Authorize(actor, civicgrid.ActionAskHelpFor, civicgrid.In(g.AreaCode)) == nil {
			p.Volunteer.OnBehalf = true
		}
	}
	mine, err := ui.cfg.Volunteer.Mine(r.Context(), actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	for _, v := range ui.helpRows(r, mine) {
		if v.PosterID == actor.UserID {
			p.Volunteer.Mine = append(p.Volunteer.Mine, v)
		}
	}
	// One's own time-bank account, once it holds anything (a donation or
	// a grant to a resident; volunteers read it on /volunteer).
	if st, err := ui.cfg.Volunteer.Entries(r.Context(), actor, ""); err == nil && len(st.Entries) > 0 {
		p.Volunteer.Ledger = &st
	}
	p.Title = p.catalogue["vol.ask_title"]
	ui.render(w, http.StatusOK, "volunteer", p)
}

func (ui *UI) handleAskForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	in := civicgrid.HelpInput{Service: f.Get("service"), BuildingCode: strings.TrimSpace(f.Get("building_code")), Address: f.Get("address"),
		Beneficiary: f.Get("beneficiary"), Contact: f.Get("contact"), Note: f.Get("note"), Urgency: f.Get("urgency"), Needs: f["needs"]}
	if d := f.Get("date"); d != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", d, ui.location())
		if err != nil {
			backTo(w, r, "/help", "", civicgrid.Errorf(civicgrid.EINVALID, "the time is not a date and time"))
			return
		}
		in.WindowStart = t
	}
	_, err := ui.cfg.Volunteer.Ask(r.Context(), actor, in)
	backTo(w, r, "/help", "asked", err)
}

// location is the time zone of times people type (China Standard Time).
func (ui *UI) location() *time.Location { return time.FixedZone("CST", 8*3600) }

// handleVolunteerPage serves /volunteer: a volunteer's hours, their
// claims with sign-in and sign-out, and the open requests nearest first
// (the browser sends where it is, when allowed); staff's requests to
// verify.
func (ui *UI) handleVolunteerPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.volunteerPage(w, r, "work")
	if !ok {
		return
	}
	ctx := r.Context()
	v := p.Volunteer
	v.Volunteer = actor.Holds(civicgrid.RoleVolunteer)
	v.TimeBankStaff = len(actor.Scopes(civicgrid.ActionAdjustTimeBank)) > 0
	if v.Volunteer {
		h, err := ui.cfg.Volunteer.Hours(ctx, actor)
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		v.Hours = &h
		v.Stars = strings.Repeat("★", h.Stars) + strings.Repeat("☆", max(0, len(civicgrid.StarThresholdsHours)-h.Stars))
		before := r.URL.Query().Get("before")
		st, err := ui.cfg.Volunteer.Entries(ctx, actor, before)
		if civicgrid.ErrorCode(err) == civicgrid.EINVALID {
			st, err = ui.cfg.Volunteer.Entries(ctx, actor, "") // a mangled link: the newest page
			before = ""
		}
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		v.Ledger, v.LedgerPaged = &st, before != ""
		var at *volunteering.Point
		if lat, err1 := strconv.ParseFloat(r.URL.Query().Get("lat"), 64); err1 == nil {
			if lng, err2 := strconv.ParseFloat(r.URL.Query().Get("lng"), 64); err2 == nil {
				at = &volunteering.Point{Lat: lat, Lng: lng}
			}
		}
		open, err := ui.cfg.Volunteer.Open(ctx, actor, at)
		if err != nil && civicgrid.ErrorCode(err) != civicgrid.EINVALID {
			ui.renderError(w, r, p, err)
			return
		}
		v.Open = ui.helpRows(r, open)
		mine, err := ui.cfg.Volunteer.Mine(ctx, actor)
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		invs, err := ui.cfg.Volunteer.Invitations(ctx, actor)
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		for _, inv := range invs {
			v.Invitations = append(v.Invitations, invitationRow{inv.HelpInvitation, ui.helpRows(r, []volunteering.View{inv.Request})[0]})
		}
		for _, x := range ui.helpRows(r, mine) {
			if x.VolunteerID == actor.UserID && x.PosterID != actor.UserID {
				v.Mine = append(v.Mine, x)
			}
		}
	}
	if err := ui.registration(r, actor, v); err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	pending, err := ui.cfg.Volunteer.Pending(ctx, actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	v.Pending = ui.helpRows(r, pending)
	waiting, err := ui.cfg.Volunteer.Waiting(ctx, actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	v.Waiting = ui.helpRows(r, waiting)
	done, err := ui.cfg.Volunteer.Done(ctx, actor)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	v.ToConfirm = ui.helpRows(r, done)
	p.Title = p.catalogue["vol.work_title"]
	ui.render(w, http.StatusOK, "volunteer", p)
}

// handleHelpStep takes a step on a request from a form, then back to the
// page it came from with the outcome.
func (ui *UI) handleHelpStep(back string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		actor, id, ok := cogovForm(w, r)
		if !ok {
			return
		}
		f := r.PostForm
		ctx := r.Context()
		var at *volunteering.Point
		if lat, err1 := strconv.ParseFloat(f.Get("lat"), 64); err1 == nil {
			if lng, err2 := strconv.ParseFloat(f.Get("lng"), 64); err2 == nil {
				at = &volunteering.Point{Lat: lat, Lng: lng}
			}
		}
		var err error
		step := r.PathValue("step")
		switch step {
		case "accept", "decline":
			_, err = ui.cfg.Volunteer.Verify(ctx, actor, id, step, f.Get("reason"))
		case "claim":
			_, err = ui.cfg.Volunteer.Claim(ctx, actor, id)
		case "release":
			_, err = ui.cfg.Volunteer.Release(ctx, actor, id, f.Get("reason"))
		case "sign-in":
			_, err = ui.cfg.Volunteer.SignInWith(ctx, actor, id, volunteering.Presence{At: at, Code: f.Get("code"), Far: f.Get("far") == "1"})
		case "sign-out":
			_, err = ui.cfg.Volunteer.SignOutWith(ctx, actor, id, volunteering.Presence{At: at, Code: f.Get("code"), Far: f.Get("far") == "1"})
		case "to-case":
			v, err := ui.cfg.Volunteer.RequestToCase(ctx, actor, id, volunteering.ToCase{Category: f.Get("category"), Note: f.Get("note")})
			if err == nil && v.CaseLink != 0 {
				backTo(w, r, "/cases/"+strconv.FormatInt(v.CaseLink, 10), "", nil)
				return
			}
			backTo(w, r, "/volunteer/requests/"+strconv.FormatInt(id, 10), "to_case", err)
			return
		case "new-code":
			_, err = ui.cfg.Volunteer.RenewCode(ctx, actor, id, f.Get("reason"))
			backTo(w, r, "/volunteer/requests/"+strconv.FormatInt(id, 10), "new_code", err)
			return
		case "correct":
			minutes, _ := strconv.Atoi(strings.TrimSpace(f.Get("minutes")))
			_, err = ui.cfg.Volunteer.Correct(ctx, actor, id, volunteering.Correction{Minutes: minutes, Service: f.Get("service"), Reason: f.Get("reason")})
			backTo(w, r, "/volunteer/requests/"+strconv.FormatInt(id, 10), step, err)
			return
		case "confirm":
			rating, _ := strconv.Atoi(f.Get("rating"))
			_, err = ui.cfg.Volunteer.ConfirmPaying(ctx, actor, id, rating, f.Get("comment"), f.Get("pay") == "1")
		case "cancel":
			_, err = ui.cfg.Volunteer.Cancel(ctx, actor, id, f.Get("reason"))
		default:
			http.NotFound(w, r)
			return
		}
		backTo(w, r, back, strings.ReplaceAll(step, "-", "_"), err)
	}
}

// handleCertificatesPage serves /volunteer/certificates: one's
// certificates and the form asking for one over a period.
func (ui *UI) handleCertificatesPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.volunteerPage(w, r, "certs")
	if !ok {
		return
	}
	// One's own certificates are a volunteer's; staff who are not
	// volunteers see what their communities issued and the form for others.
	p.Volunteer.Volunteer = civicgrid.Authorize(actor, civicgrid.ActionCertifyHours, civicgrid.Object{Owner: actor.UserID}) == nil
	if p.Volunteer.Volunteer {
		cs, err := ui.cfg.Volunteer.Certificates(r.Context(), actor)
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		for _, c := range cs {
			p.Volunteer.Certificates = append(p.Volunteer.Certificates, ui.certificateRow(c))
		}
	}
	if len(actor.Scopes(civicgrid.ActionCertifyFor)) > 0 {
		issued, err := ui.cfg.Volunteer.IssuedCertificates(r.Context(), actor)
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		for _, c := range issued {
			p.Volunteer.Issued = append(p.Volunteer.Issued, ui.certificateRow(c))
		}
		ps, err := ui.cfg.Volunteer.Registrations(r.Context(), actor, civicgrid.ProfileApproved)
		if err != nil {
			ui.renderError(w, r, p, err)
			return
		}
		names := ui.areaNames(r)
		p.Volunteer.CertifyFor = true
		for _, x := range ps {
			p.Volunteer.CertVolunteers = append(p.Volunteer.CertVolunteers, registrationRow{x, names(x.Community)})
		}
	}
	p.Volunteer.Month = time.Now().In(ui.location()).Format("2006-01")
	p.Title = p.catalogue["vol.cert_title"]
	if !p.Volunteer.Volunteer {
		p.Title = p.catalogue["vol.cert_title_staff"]
	}
	ui.render(w, http.StatusOK, "volunteer", p)
}

func (ui *UI) handleCertifyForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	cs, err := ui.cfg.Volunteer.Certify(r.Context(), actor, r.PostForm.Get("from"), r.PostForm.Get("to"))
	if err != nil || len(cs) != 1 {
		backTo(w, r, "/volunteer/certificates", "certified", err)
		return
	}
	backTo(w, r, "/volunteer/certificates/"+strconv.FormatInt(cs[0].ID, 10), "certified", nil)
}

// handleCertificatePage serves one's certificate as a printable page, with
// the QR code of its public check.
func (ui *UI) handleCertificatePage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.volunteerPage(w, r, "cert")
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	c, err := ui.cfg.Volunteer.Certificate(r.Context(), actor, id)
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	row := ui.certificateRow(c)
	p.Volunteer.Certificate = &row
	if p.Volunteer.CertHistory, err = ui.cfg.Volunteer.CertificateHistory(r.Context(), actor, id); err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	p.Volunteer.CanRevoke = volunteering.CanRevokeCertificate(actor, c)
	p.NoStore = true
	p.Title = p.catalogue["vol.cert_heading"]
	ui.render(w, http.StatusOK, "volunteer", p)
}

// handleVerifyCertificatePage serves the public check of a certificate's
// code, /verify/certificate/{code} (the QR code's address; the form's
// /certificates/verify?code= redirects there): anyone, logged in or not,
// sees whether the code is genuine and, if so, the holder's masked name
// (张*明), the hours, the period, the issuer and whether it was revoked —
// or that no certificate has this code. Look-ups are throttled per address
// like the API's.
func (ui *UI) handleVerifyCertificatePage(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if q := r.URL.Query().Get("code"); code == "" && q != "" {
		http.Redirect(w, r, verifyPath(civicgrid.NormalizeCode(q)), http.StatusSeeOther)
		return
	}
	p := ui.newPage(w, r)
	p.Volunteer = &volunteerView{View: "verify", Code: code}
	p.Title = p.catalogue["vol.verify_title"]
	p.NoStore = true
	status := http.StatusOK
	if code != "" {
		if ui.cfg.Lookups != nil {
			if err := ui.cfg.Lookups.ThrottleLookup(w, r); err != nil {
				p.FlashError = p.catalogue["vol.verify_throttled"]
				ui.render(w, http.StatusTooManyRequests, "volunteer", p)
				return
			}
		}
		c, err := ui.cfg.Volunteer.VerifyCertificate(r.Context(), code)
		switch civicgrid.ErrorCode(err) {
		case "":
			row := ui.certificateRow(c)
			p.Volunteer.Certificate = &row
		case civicgrid.ENOTFOUND, civicgrid.EINVALID:
			p.FlashError = p.catalogue["vol.verify_none"]
			status = http.StatusNotFound
		default:
			ui.renderError(w, r, p, err)
			return
		}
	}
	ui.render(w, status, "volunteer", p)
}

// handleCertificatePDF serves a certificate as a PDF in the page's
// language, with the QR code of its public check: its holder, or staff of
// the issuing community.
func (ui *UI) handleCertificatePDF(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	c, err := ui.cfg.Volunteer.Certificate(r.Context(), actor, id)
	if err != nil {
		p.Volunteer = &volunteerView{}
		ui.renderError(w, r, p, err)
		return
	}
	row := ui.certificateRow(c)
	b, err := ui.certificatePDF(p, row, siteurl.Base(ui.cfg.PublicURL, r, false)+verifyPath(c.Code))
	if err != nil {
		p.Volunteer = &volunteerView{}
		ui.renderError(w, r, p, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="certificate-`+row.Number+`.pdf"`)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(b)
}

// handleRevokeCertificateForm: staff of the issuing community revoke a
// certificate with a reason.
func (ui *UI) handleRevokeCertificateForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	_, err := ui.cfg.Volunteer.RevokeCertificate(r.Context(), actor, id, r.PostForm.Get("reason"))
	backTo(w, r, "/volunteer/certificates/"+strconv.FormatInt(id, 10), "revoked", err)
}

// handleCertificateQR draws the QR code printed on one's certificate: the
// address of its public check, code included.
func (ui *UI) handleCertificateQR(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	c, err := ui.cfg.Volunteer.Certificate(r.Context(), actor, id)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	png, err := qrcode.Encode(siteurl.Base(ui.cfg.PublicURL, r, false)+verifyPath(c.Code), qrcode.Medium, 320)
	if err != nil {
		http.Error(w, "qr code", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(png)
}

// registration fills the reader's own registration, the communities they
// may register in, and (staff) the registrations waiting for them.
func (ui *UI) registration(r *http.Request, actor civicgrid.Actor, v *volunteerView) error {
	ctx := r.Context()
	names := ui.areaNames(r)
	v.Skills, v.Today = civicgrid.VolunteerSkills, time.Now().In(ui.location()).Format(time.DateOnly)
	p, err := ui.cfg.Volunteer.Profile(ctx, actor)
	switch civicgrid.ErrorCode(err) {
	case "":
		v.Profile = &p
		v.AreasText = strings.Join(p.Areas, " ")
	case civicgrid.ENOTFOUND:
	default:
		return err
	}
	for _, k := range v.Skills {
		v.SkillChoices = append(v.SkillChoices, skillChoice{k, v.Profile != nil && slices.Contains(v.Profile.Skills, k.Code)})
	}
	seen := map[string]bool{}
	for _, g := range actor.Grants {
		if len(g.AreaCode) >= 12 && !seen[g.AreaCode[:12]] {
			seen[g.AreaCode[:12]] = true
			v.Communities = append(v.Communities, scopeOption{g.AreaCode[:12], names(g.AreaCode[:12])})
		}
	}
	regs, err := ui.cfg.Volunteer.Registrations(ctx, actor, civicgrid.ProfilePending)
	if err != nil {
		return err
	}
	for _, x := range regs {
		v.Registrations = append(v.Registrations, registrationRow{x, names(x.Community)})
	}
	return ui.teams(r, actor, v)
}

// teams fills the teams of the reader's communities (and of the areas
// they manage), what the reader may do in each, and staff's team form.
func (ui *UI) teams(r *http.Request, actor civicgrid.Actor, v *volunteerView) error {
	ctx := r.Context()
	v.TeamKinds = civicgrid.TeamKinds
	areas := []string{}
	for _, c := range v.Communities {
		areas = append(areas, c.Code)
	}
	for _, a := range actor.Scopes(civicgrid.ActionManageTeams) {
		if !slices.ContainsFunc(areas, func(x string) bool { return strings.HasPrefix(x, a) || strings.HasPrefix(a, x) }) {
			areas = append(areas, a)
		}
	}
	seen := map[int64]bool{}
	for _, a := range areas {
		ts, err := ui.cfg.Volunteer.Teams(ctx, actor, a)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if seen[t.ID] {
				continue
			}
			seen[t.ID] = true
			tv, err := ui.cfg.Volunteer.Team(ctx, actor, t.ID)
			if err != nil {
				return err
			}
			row := teamRow{TeamView: tv}
			for _, k := range civicgrid.TeamKinds {
				if k.Code == t.Kind {
					row.Kind = k
				}
			}
			for _, m := range tv.Roster {
				if m.UserID == actor.UserID {
					row.Mine = m.Status
				}
				if m.Status == civicgrid.MemberRequested && tv.CanAccept {
					row.Waiting = append(row.Waiting, m)
				}
			}
			row.CanJoin = row.Mine == "" && v.Profile != nil && v.Profile.Status == civicgrid.ProfileApproved && v.Profile.Community == t.Community
			row.CanLeave = row.Mine != "" && t.CaptainID != actor.UserID
			v.Teams = append(v.Teams, row)
		}
	}
	names := ui.areaNames(r)
	for _, a := range actor.Scopes(civicgrid.ActionManageTeams) {
		ps, err := ui.cfg.Volunteer.Registrations(ctx, actor, civicgrid.ProfileApproved)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if strings.HasPrefix(p.Community, a) && !slices.ContainsFunc(v.Captains, func(x civicgrid.VolunteerProfile) bool { return x.UserID == p.UserID }) {
				v.Captains = append(v.Captains, p)
				if !slices.ContainsFunc(v.FormTeams, func(o scopeOption) bool { return o.Code == p.Community }) {
					v.FormTeams = append(v.FormTeams, scopeOption{p.Community, names(p.Community)})
				}
			}
		}
	}
	return nil
}

// handleTeamForm forms a team (staff).
func (ui *UI) handleTeamForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	captain, _ := strconv.ParseInt(f.Get("captain_id"), 10, 64)
	_, err := ui.cfg.Volunteer.FormTeam(r.Context(), actor, civicgrid.TeamInput{Kind: f.Get("kind"), Name: f.Get("name"),
		Community: f.Get("community_code"), CaptainID: captain})
	backTo(w, r, "/volunteer", "team_formed", err)
}

// handleTeamStep asks to join a team, or accepts someone who asked.
func (ui *UI) handleTeamStep(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	var err error
	switch step := r.PathValue("step"); step {
	case "join":
		_, err = ui.cfg.Volunteer.Join(r.Context(), actor, id)
	case "accept":
		user, _ := strconv.ParseInt(r.PostForm.Get("user_id"), 10, 64)
		_, err = ui.cfg.Volunteer.Accept(r.Context(), actor, id, user)
	case "leave":
		_, err = ui.cfg.Volunteer.Leave(r.Context(), actor, id)
	default:
		http.NotFound(w, r)
		return
	}
	backTo(w, r, "/volunteer", "team_"+r.PathValue("step"), err)
}

// handleRegisterForm registers the reader as a volunteer, or changes
// their registration; a training filled in is added to those recorded.
func (ui *UI) handleRegisterForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	in := civicgrid.ProfileInput{Community: strings.TrimSpace(f.Get("community_code")), Skills: f["skills"], Availability: f.Get("availability"),
		Areas:          strings.FieldsFunc(f.Get("areas"), func(c rune) bool { return c == ',' || c == ' ' || c == '，' }),
		InsuranceUntil: f.Get("insurance_until"), PublishName: f.Get("publish_name") == "1", OutsideAreas: f.Get("outside_areas") == "1", Gender: f.Get("gender"), IDNumber: f.Get("id_number")}
	if old, err := ui.cfg.Volunteer.Profile(r.Context(), actor); err == nil {
		in.Training = old.Training
	}
	if name := strings.TrimSpace(f.Get("training_name")); name != "" || f.Get("training_date") != "" {
		hours, _ := strconv.Atoi(f.Get("training_hours"))
		in.Training = append(in.Training, civicgrid.TrainingRecord{Name: name, Date: f.Get("training_date"), Hours: hours})
	}
	_, err := ui.cfg.Volunteer.Register(r.Context(), actor, in)
	backTo(w, r, "/volunteer", "registered", err)
}

// handleDonateForm gives minutes to a family member (by phone), with a
// reason; back to where the form was (/volunteer or /help).
func (ui *UI) handleDonateForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	minutes, _ := strconv.Atoi(strings.TrimSpace(f.Get("minutes")))
	_, err := ui.cfg.Volunteer.Donate(r.Context(), actor, volunteering.Donation{ToPhone: f.Get("phone"), Minutes: minutes, Reason: f.Get("reason")})
	back := "/volunteer"
	if f.Get("from") == "help" {
		back = "/help"
	}
	backTo(w, r, back, "donated", err)
}

// handleTimeBankPage: /volunteer/timebank[?community=&member=&before=] —
// staff's time-bank accounts of a community (volunteer.adjust): the
// issuing account, the people's balances (masked), a member's statement
// and the grant or take-back form.
func (ui *UI) handleTimeBankPage(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.volunteerPage(w, r, "timebank")
	if !ok {
		return
	}
	ctx := r.Context()
	v := p.Volunteer
	names := ui.areaNames(r)
	// A refusal is shown on the page with its status, not as a failure.
	fail := func(err error) {
		v.Accounts, v.Member, v.Ledger = nil, nil, nil
		switch civicgrid.ErrorCode(err) {
		case civicgrid.EFORBIDDEN, civicgrid.EUNAUTHORIZED:
			p.FlashError = p.catalogue["vol.failed_forbidden"]
			ui.render(w, http.StatusForbidden, "volunteer", p)
		case civicgrid.ENOTFOUND, civicgrid.EINVALID:
			p.FlashError = p.catalogue["vol.failed_not_found"]
			ui.render(w, http.StatusNotFound, "volunteer", p)
		default:
			ui.renderError(w, r, p, err)
		}
	}
	for _, a := range actor.Scopes(civicgrid.ActionAdjustTimeBank) {
		if len(a) == 12 {
			v.TBCommunities = append(v.TBCommunities, scopeOption{a, names(a)})
		}
	}
	q := r.URL.Query()
	v.TBCommunity = strings.TrimSpace(q.Get("community"))
	if v.TBCommunity == "" && len(v.TBCommunities) > 0 {
		v.TBCommunity = v.TBCommunities[0].Code
	}
	p.Title = p.catalogue["vol.tbs_title"]
	if v.TBCommunity == "" {
		if len(actor.Scopes(civicgrid.ActionAdjustTimeBank)) == 0 {
			fail(civicgrid.Errorf(civicgrid.EFORBIDDEN, "volunteer.adjust: only the community's staff keep its time-bank accounts"))
			return
		}
		ui.render(w, http.StatusOK, "volunteer", p)
		return
	}
	v.TBName = names(v.TBCommunity)
	accounts, err := ui.cfg.Volunteer.Accounts(ctx, actor, v.TBCommunity)
	if err != nil {
		fail(err)
		return
	}
	v.Accounts = &accounts
	if m := q.Get("member"); m != "" {
		id, _ := strconv.ParseInt(m, 10, 64)
		st, mb, err := ui.cfg.Volunteer.MemberStatement(ctx, actor, v.TBCommunity, id, q.Get("before"))
		if err != nil {
			fail(err)
			return
		}
		v.Ledger, v.Member, v.LedgerPaged = &st, &mb, q.Get("before") != ""
	}
	ui.render(w, http.StatusOK, "volunteer", p)
}

// handleAdjustForm grants (or, negative, takes back) minutes with a
// reason, back to the member's statement.
func (ui *UI) handleAdjustForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := inboxForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	id, _ := strconv.ParseInt(f.Get("user_id"), 10, 64)
	minutes, _ := strconv.Atoi(strings.TrimSpace(f.Get("minutes")))
	community := f.Get("community_code")
	if f.Get("direction") == "take" {
		minutes = -minutes
	}
	_, err := ui.cfg.Volunteer.Adjust(r.Context(), actor, volunteering.Adjustment{UserID: id, Community: community, Minutes: minutes, Reason: f.Get("reason")})
	back := "/volunteer/timebank?community=" + url.QueryEscape(community) + "&member=" + strconv.FormatInt(id, 10)
	redirectOutcome(w, r, back, "adjusted", err)
}

// handleDecideForm approves a registration or declines it with a reason.
func (ui *UI) handleDecideForm(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := cogovForm(w, r)
	if !ok {
		return
	}
	decision := r.PathValue("decision")
	if decision != "approve" && decision != "decline" {
		http.NotFound(w, r)
		return
	}
	_, err := ui.cfg.Volunteer.Decide(r.Context(), actor, id, decision, r.PostForm.Get("reason"))
	backTo(w, r, "/volunteer", decision+"_volunteer", err)
}

// servicePoints are the service points of the communities of whoever is
// logged in, for the map page (none for an anonymous visitor).
func (ui *UI) servicePoints(r *http.Request) []civicgrid.ServicePoint {
	actor := civicgrid.ActorFromContext(r.Context())
	if ui.cfg.Volunteer == nil || actor.Anonymous() {
		return nil
	}
	var out []civicgrid.ServicePoint
	seen := map[string]bool{}
	for _, g := range actor.Grants {
		area := g.AreaCode
		if len(area) > 12 {
			area = area[:12]
		}
		if seen[area] || civicgrid.LevelOfCode(area) == "" {
			continue
		}
		seen[area] = true
		ps, err := ui.cfg.Volunteer.ServicePoints(r.Context(), actor, area)
		if err != nil {
			continue
		}
		out = append(out, ps...)
	}
	return out
}

// RevokedTime is when the certificate was revoked (zero: it is valid).
func (c certificateRow) RevokedTime() time.Time {
	if c.RevokedAt == nil {
		return time.Time{}
	}
	return *c.RevokedAt
}

// volunteerCards shows, beside the case indicators on the dashboard, the
// volunteer service's indicators of the scope and period (days from..to),
// read from the volunteer rollups; none without the module, without any
// request in the period, or for someone who may not read them.
func (ui *UI) volunteerCards(ctx context.Context, p *page, actor civicgrid.Actor, scope string, from, to time.Time) []rateCard {
	if ui.cfg.Volunteer == nil {
		return nil
	}
	in, err := ui.cfg.Volunteer.Indicators(ctx, actor, scope, from, to)
	if err != nil || in.VolunteerMeasures == (civicgrid.VolunteerMeasures{}) {
		return nil
	}
	count := func(key string, n int64) rateCard {
		return rateCard{Label: p.catalogue[key], Value: strconv.FormatInt(n, 10)}
	}
	rate := func(key string, n, d int64, formula string) rateCard {
		rc := rateCard{Label: p.catalogue[key], Value: "—", Fraction: strconv.FormatInt(n, 10) + " / " + strconv.FormatInt(d, 10),
			Formula: formula + " = " + strconv.FormatInt(n, 10) + " / " + strconv.FormatInt(d, 10), Small: civicgrid.Small(d)}
		if d > 0 {
			rc.Value = strconv.FormatFloat(float64(n)*100/float64(d), 'f', 1, 64) + "%"
		}
		if rc.Small {
			rc.SmallNote, _ = p.T("dash.small_sample_note", "d", d, "min", civicgrid.SmallSample, "step", int64(100/max(float64(d), 1)+0.5))
		}
		return rc
	}
	mean := "—"
	if in.MeanRating != nil {
		mean = strconv.FormatFloat(*in.MeanRating, 'f', 1, 64)
	}
	satisfaction, _ := p.T("dash.vol_satisfaction_formula", "mean", mean)
	return []rateCard{
		count("dash.vol_requests", in.Requests),
		rate("dash.vol_answered", in.VolunteerMeasures.AnsweredOnTime, in.Answered, p.catalogue["dash.vol_answered_formula"]),
		rate("dash.vol_taken", in.VolunteerMeasures.TakenInTime, in.Taken, p.catalogue["dash.vol_taken_formula"]),
		count("dash.vol_completed", in.Completed),
		{Label: p.catalogue["dash.vol_hours"], Value: strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(in.Hours, 'f', 2, 64), "0"), ".")},
		rate("dash.vol_satisfaction", in.Satisfied, in.Rated, satisfaction),
		count("dash.vol_active", in.ActiveVolunteers),
	}
}
