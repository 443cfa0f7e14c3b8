package civicgrid

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Roles. A role is always held over an area's subtree (a RoleGrant); a person
// may hold several.
const (
	RoleResident           = "resident"            // lives in a building
	RoleReporter           = "reporter"            // member of a new-employment team (riders, couriers, drivers); Detail names the team
	RoleVolunteer          = "volunteer"           // takes residents' service requests
	RoleGridWorker         = "grid_worker"         // 网格员, owns a grid
	RoleBuilding           = "building_role"       // 两长四员; Detail is a building role kind (楼栋长 …)
	RoleCommunityStaff     = "community_staff"     // 社区工作者
	RoleCommunitySecretary = "community_secretary" // 社区书记
	RoleStreetDispatcher   = "street_dispatcher"   // 街道派遣员
	RoleDepartmentHandler  = "department_handler"  // a department's handler for some case categories in an area
	RoleDistrictAdmin      = "district_admin"
	RoleCityAdmin          = "city_admin"
	RoleAuditor            = "auditor" // read-only; reads the security audit log
)

// RoleInfo describes a role: where it may be granted and what it is called.
type RoleInfo struct {
	Name   string  `json:"name"`
	Levels []Level `json:"levels"` // area levels a grant of this role may sit at
	Staff  bool    `json:"staff"`  // held by government or community staff
	NameZH string  `json:"name_zh"`
	NameEN string  `json:"name_en"`
}

// Roles lists every role, from residents up.
var Roles = []RoleInfo{
	{RoleResident, []Level{LevelBuilding}, false, "居民", "Resident"},
	{RoleReporter, []Level{LevelCity, LevelDistrict, LevelStreet}, false, "新就业群体报事员", "Reporter (riders' and drivers' teams)"},
	{RoleVolunteer, []Level{LevelDistrict, LevelStreet, LevelCommunity}, false, "志愿者", "Volunteer"},
	{RoleGridWorker, []Level{LevelGrid}, true, "网格员", "Grid worker"},
	{RoleBuilding, []Level{LevelBuilding}, false, "楼栋骨干（两长四员）", "Building role"},
	{RoleCommunityStaff, []Level{LevelCommunity}, true, "社区工作者", "Community staff"},
	{RoleCommunitySecretary, []Level{LevelCommunity}, true, "社区书记", "Community secretary"},
	{RoleStreetDispatcher, []Level{LevelStreet}, true, "街道派遣员", "Street dispatcher"},
	{RoleDepartmentHandler, []Level{LevelCity, LevelDistrict, LevelStreet}, true, "部门处置人员", "Department handler"},
	{RoleDistrictAdmin, []Level{LevelDistrict}, true, "区管理员", "District admin"},
	{RoleCityAdmin, []Level{LevelCity}, true, "市管理员", "City admin"},
	{RoleAuditor, []Level{LevelCity, LevelDistrict}, true, "审计员", "Auditor"},
}

// LookupRole returns the description of a role.
func LookupRole(name string) (RoleInfo, bool) {
	for _, r := range Roles {
		if r.Name == name {
			return r, true
		}
	}
	return RoleInfo{}, false
}

// SubtreePrefix is the code prefix shared by an area and everything below it.
// A city's districts share only its first four digits (420100 → 4201xx); every
// other level extends its parent's code.
func SubtreePrefix(code string) string {
	if len(code) == 6 && strings.HasSuffix(code, "00") {
		return code[:4]
	}
	return code
}

// InSubtree reports whether code lies in the subtree of the area root. The
// empty code (an object tied to no area, such as a person without roles) lies
// only in a city's subtree.
func InSubtree(root, code string) bool {
	if code == "" {
		return len(root) == 6 && strings.HasSuffix(root, "00")
	}
	return root != "" && strings.HasPrefix(code, SubtreePrefix(root))
}

// RoleGrant says that a user holds a role over an area's subtree.
type RoleGrant struct {
	ID         int64     `json:"id"`
	UserID     int64     `json:"user_id"`
	Role       string    `json:"role"`
	AreaCode   string    `json:"area_code"`
	Detail     string    `json:"detail,omitempty"`     // team of a reporter, kind of a building role
	Categories []string  `json:"categories,omitempty"` // case categories of a department handler
	GrantedBy  int64     `json:"granted_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// Covers reports whether the grant's area subtree contains code.
func (g RoleGrant) Covers(code string) bool { return InSubtree(g.AreaCode, code) }

// CheckShape validates a grant on its own: a known role, at an area level the
// role may sit at, with the details the role needs.
func (g RoleGrant) CheckShape() error {
	info, ok := LookupRole(g.Role)
	if !ok {
		return Errorf(EINVALID, "unknown role %q", g.Role)
	}
	level := LevelOfCode(g.AreaCode)
	if level == "" {
		return Errorf(EINVALID, "role %s: %q is not an area code", g.Role, g.AreaCode)
	}
	if !slices.Contains(info.Levels, level) {
		return Errorf(EINVALID, "role %s is held over a %s, not a %s (%s)", g.Role, joinLevels(info.Levels), level, g.AreaCode)
	}
	switch g.Role {
	case RoleBuilding:
		if g.Detail == "" {
			return Errorf(EINVALID, "a building role needs its kind (detail), e.g. building_head")
		}
	case RoleReporter:
		if g.Detail == "" {
			return Errorf(EINVALID, "a reporter needs the name of their team (detail)")
		}
	case RoleDepartmentHandler:
		if len(g.Categories) == 0 {
			return Errorf(EINVALID, "a department handler needs the case categories they handle")
		}
	default:
		if len(g.Categories) > 0 {
			return Errorf(EINVALID, "only department handlers have case categories")
		}
	}
	return nil
}

func joinLevels(ls []Level) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = string(l)
	}
	return strings.Join(s, " or ")
}

// LevelOfCode guesses an area's level from its code's shape ("" if none fits).
func LevelOfCode(code string) Level {
	for _, c := range code {
		if c < '0' || c > '9' {
			return ""
		}
	}
	switch len(code) {
	case 6:
		if strings.HasSuffix(code, "00") {
			return LevelCity
		}
		return LevelDistrict
	case 9:
		return LevelStreet
	case 12:
		return LevelCommunity
	case 15:
		return LevelGrid
	case 19:
		return LevelBuilding
	}
	return ""
}

// Actor is who is asking: a logged-in user, or an integration's API token
// acting with one of its creator's grants.
type Actor struct {
	UserID  int64
	Name    string
	Phone   string
	Grants  []RoleGrant
	Via     string // "session", "token", "cli"
	TokenID int64  // set when Via is "token"
	// Session actors only: the token cookie-authenticated writes must echo,
	// and whether a temporary password must be changed before anything else.
	SessionID          int64
	CSRFToken          string
	MustChangePassword bool
}

type actorKey struct{}

// NewContextWithActor returns ctx carrying the actor, for the packages that
// render pages for whoever is logged in.
func NewContextWithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor in ctx (anonymous if none).
func ActorFromContext(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// Anonymous reports whether nobody is logged in.
func (a Actor) Anonymous() bool { return a.UserID == 0 && a.TokenID == 0 }

// Label names the actor in the security log without exposing personal data.
func (a Actor) Label() string {
	switch {
	case a.Via == "token":
		return "token " + itoa(a.TokenID)
	case a.UserID != 0:
		return MaskName(a.Name) + " " + MaskPhone(a.Phone)
	case a.Via == "cli":
		return "cli"
	}
	return "anonymous"
}

// Holds reports whether the actor has the role anywhere.
func (a Actor) Holds(role string) bool {
	for _, g := range a.Grants {
		if g.Role == role {
			return true
		}
	}
	return false
}

// Scopes returns the area codes over which the actor may take the action on
// objects of any owner, for building list filters: nil means nowhere. Lists
// filter with these and Authorize still decides on single objects.
func (a Actor) Scopes(action Action) []string {
	var out []string
	for _, g := range a.Grants {
		for _, r := range policy[action] {
			if r.role == g.Role && (r.scope == scopeSubtree || r.scope == scopeCategory || r.scope == scopeDept) {
				out = append(out, g.AreaCode)
			}
		}
	}
	return out
}

// Reach is where an action lets an actor act, as a list or search query
// filters by it: objects in Subtree's subtrees; objects in Overlap's
// subtrees or at their ancestors; the actor's own objects (Own). It is read
// from the policy table, so a query filtered by it shows no more than
// Authorize allows. Rules it cannot express as such a filter (an assignee,
// a department's categories, a merged report, a vote's roll) are left out:
// the query shows less, never more. A token reaches no "own" objects (its
// grant's area limits what it reaches of its creator's).
type Reach struct {
	Subtree []string
	Overlap []string
	Own     bool
	// Audience are the grants that reach objects addressed to an audience
	// (scopeAudience: a notice): an object whose area overlaps the grant's
	// and whose audience counts the grant's role (AudienceTag).
	Audience []RoleGrant
	// Member says the action reaches objects addressed to a group the
	// actor belongs to (scopeMember: a team's notice). Which groups those
	// are the policy cannot know: the caller asks the module that keeps
	// them and fills Groups with their tags (TeamTag); an object addressed
	// to one of them is reached.
	Member bool
	Groups []string
}

// None reports whether the reach is empty.
func (r Reach) None() bool {
	return len(r.Subtree) == 0 && len(r.Overlap) == 0 && !r.Own && len(r.Audience) == 0 && len(r.Groups) == 0
}

// AudienceTag writes an audience (the roles it counts; nil: every role)
// as a filter matches it: "*" for everyone, else ",role,role,", so that
// a role is found as ",role,".
func AudienceTag(roles []string) string {
	if roles == nil {
		return "*"
	}
	return "," + strings.Join(roles, ",") + ","
}

// Reach returns where the actor may take the action (see Reach).
func (a Actor) Reach(action Action) Reach {
	var out Reach
	if a.Anonymous() {
		return out
	}
	for _, r := range policy[action] {
		if r.role == "*" {
			if r.scope == scopeOwn && a.UserID != 0 && a.Via != "token" {
				out.Own = true
			}
			if r.scope == scopeMember && a.UserID != 0 && a.Via != "token" {
				out.Member = true
			}
			if r.scope == scopeAudience {
				for _, g := range a.Grants {
					out.Audience = append(out.Audience, RoleGrant{Role: g.Role, AreaCode: g.AreaCode})
				}
			}
			continue
		}
		for _, g := range a.Grants {
			if g.Role != r.role {
				continue
			}
			switch r.scope {
			case scopeSubtree:
				out.Subtree = append(out.Subtree, g.AreaCode)
			case scopeOverlap:
				out.Overlap = append(out.Overlap, g.AreaCode)
			case scopeOwn:
				if a.UserID != 0 && a.Via != "token" {
					out.Own = true
				}
			}
		}
	}
	return out
}

// Action names something an actor may ask to do.
type Action string

const (
	ActionImportAreas         Action = "areas.import"
	ActionExportAreas         Action = "areas.export"
	ActionReadSelf            Action = "self.read"
	ActionChangeOwnPassword   Action = "self.password"
	ActionListUsers           Action = "users.list"
	ActionReadUser            Action = "users.read"
	ActionUnmaskUser          Action = "users.unmask"
	ActionCreateUser          Action = "users.create"
	ActionResetPassword       Action = "users.reset_password"
	ActionUnlockUser          Action = "users.unlock"
	ActionGrantRole           Action = "roles.grant"
	ActionRevokeRole          Action = "roles.revoke"
	ActionListTokens          Action = "tokens.list"
	ActionCreateToken         Action = "tokens.create"
	ActionRevokeToken         Action = "tokens.revoke"
	ActionReadAudit           Action = "audit.read"
	ActionExportAudit         Action = "audit.export"
	ActionManageBuildingRoles Action = "building_roles.manage"
	// ActionNameColleague is seeing a colleague's full name in their work
	// role (Colleague): staff must tell apart the people a case is with or
	// may be sent to. Phones stay masked.
	ActionNameColleague     Action = "users.name_colleague"
	ActionManageCalendar    Action = "calendar.manage"     // the city's holidays and make-up working days
	ActionManageOpen311Keys Action = "open311_keys.manage" // api_keys of Open311 client applications

	// Cases. Which case action needs which of these is in CaseTransitions.
	ActionReportCase       Action = "cases.report"      // report a problem (and "me too")
	ActionReadCase         Action = "cases.read"        // read a case and its history
	ActionUnmaskCase       Action = "cases.unmask"      // see the reporter's name and phone, logged
	ActionTriageCase       Action = "cases.triage"      // register, reject, merge, ask to cancel
	ActionDispatchCase     Action = "cases.dispatch"    // send to a grid worker or a department
	ActionWorkCase         Action = "cases.work"        // accept, return, handle, ask for time
	ActionSelfHandleCase   Action = "cases.self_handle" // 自处置 on patrol
	ActionVerifyCase       Action = "cases.verify"      // verify or send back for rework
	ActionCloseCase        Action = "cases.close"
	ActionRateCase         Action = "cases.rate"    // rate or reopen one's own report
	ActionApproveCase      Action = "cases.approve" // decide extensions, suspensions, cancellations
	ActionManageCategories Action = "categories.manage"
	ActionReadIndicators   Action = "indicators.read"
	ActionManageWebhooks   Action = "webhooks.manage" // subscribe integrations to an area's case events

	// Notifications: everyone reads, marks and sets up their own inbox only.
	ActionReadNotifications    Action = "notifications.read"
	ActionMarkNotifications    Action = "notifications.mark"
	ActionNotificationSettings Action = "notifications.settings" // SMS on or off, language
	ActionPushSubscriptions    Action = "notifications.push"     // turn browser push on or off in a browser

	// Co-governance (cogovernance.go): proposals, support, votes.
	ActionReadCogov        Action = "cogov.read"     // proposals, votes and results of a scope one holds a role in
	ActionPropose          Action = "cogov.propose"  // raise a matter (议题) in a scope one holds a role in
	ActionSupportProposal  Action = "cogov.support"  // support (附议) a proposal of such a scope
	ActionModerateProposal Action = "cogov.moderate" // put a proposal on the agenda, or decline it with a reason
	ActionManageVote       Action = "cogov.manage_vote"
	ActionCastBallot       Action = "cogov.vote"           // cast one's ballot: only people on the vote's frozen roll
	ActionManageMeeting    Action = "cogov.manage_meeting" // schedule a meeting (议事会), tick attendance, publish minutes
	ActionAttendMeeting    Action = "cogov.attend"         // sign in at a meeting with the door code: only people on its roll
	ActionObject           Action = "cogov.object"         // raise an objection (异议) to a result on public notice in one's scope
	ActionNominate         Action = "cogov.nominate"       // nominate oneself or a neighbour in a building-role election of one's scope

	// Co-governance projects (project.go): 共建共管共评共享, and comments.
	ActionManageProject   Action = "cogov.manage_project"   // start a project, milestones, progress, phases, link cases
	ActionEvaluateProject Action = "cogov.evaluate_project" // rate an ended project once (共评): residents of its scope
	ActionComment         Action = "cogov.comment"          // comment on a proposal or project of a scope one holds a role in
	// Courtyards (courtyard.go): named groups of a community's buildings,
	// a scope of co-governance.
	ActionManageCourtyard Action = "cogov.manage_courtyard" // make and edit a community's courtyards (院落): its staff and secretary
	// Households (household.go): flats, members, representatives, owners
	// and floor areas are personal data of the building's community.
	ActionReadHouseholds   Action = "household.read"   // a building's households: its community's staff; a member their own
	ActionManageHouseholds Action = "household.manage" // add flats, members, representatives, owners and areas (audited)

	// Volunteer service (volunteer.go): requests for help, claiming, service records.
	ActionAskHelp           Action = "volunteer.ask"         // ask for help at a building
	ActionAskHelpFor        Action = "volunteer.ask_for"     // ask on someone's behalf (代办): grid workers, building roles, staff
	ActionReadHelp          Action = "volunteer.read"        // read a request (volunteers: the open ones of their area)
	ActionVerifyHelp        Action = "volunteer.verify"      // the community accepts or declines a request, with a reason
	ActionClaimHelp         Action = "volunteer.claim"       // take a request (接单) where one's volunteer grant covers it
	ActionServeHelp         Action = "volunteer.serve"       // release, sign in, sign out: the volunteer who took it
	ActionConfirmHelp       Action = "volunteer.confirm"     // confirm and rate the service, or cancel: the poster or staff
	ActionInviteHelp        Action = "volunteer.invite"      // invite an approved volunteer to an open request: the community's staff
	ActionSeeHelpAddress    Action = "volunteer.address"     // the exact address and contact: the poster, the volunteer who took it, staff
	ActionVolunteerHours    Action = "volunteer.hours"       // one's own hours as a volunteer
	ActionCertifyHours      Action = "volunteer.certify"     // a certificate of one's own hours for a period
	ActionCertifyFor        Action = "volunteer.certify_for" // issue, read and revoke certificates of the hours one's community recorded: its staff
	ActionRegisterVolunteer Action = "volunteer.register"    // register (or change) one's own volunteer profile: anyone logged in
	ActionApproveVolunteer  Action = "volunteer.approve"     // approve or decline registrations, read profiles: the community's staff
	ActionManageTeams       Action = "volunteer.teams"       // form volunteer teams and name their captains: the community's staff
	ActionLeadTeam          Action = "volunteer.lead"        // accept members into a team: its captain, or the community's staff
	ActionReadTeams         Action = "volunteer.read_teams"  // see teams and their members: anyone logged in (names masked without consent)

	// Study and lecture events (lecture.go).
	ActionReadLecture    Action = "lecture.read"     // see a scope's lectures: the people of the scope
	ActionJoinLecture    Action = "lecture.join"     // sign up, cancel, check oneself in, give feedback
	ActionManageLecture  Action = "lecture.manage"   // post and cancel lectures, see who signed up, check people in at the door
	ActionAdjustTimeBank Action = "volunteer.adjust" // grant or take back time-bank minutes, with a reason: community staff
	// ActionCorrectHelp: correct a service record (minutes, service) with a
	// reason, and confirm a record held for staff: the recording
	// organisation — the community's staff and secretary.
	ActionCorrectHelp Action = "volunteer.correct"
	// ActionRenewSignCode: see why a request's sign-in code is locked and
	// issue a new one (the old one stops working): the community's staff.
	ActionRenewSignCode Action = "volunteer.renew_code"
	// ActionReadVolunteerID: read a volunteer's full ID number (otherwise
	// shown masked), the read logged with a reason: the staff and secretary
	// of the registration's community (the recording organisation).
	ActionReadVolunteerID Action = "volunteer.read_id"
	// ActionTimeBank: one's own time-bank account — its statement, and
	// donating minutes to a family member: anyone logged in (a resident
	// given minutes reads them too).
	ActionTimeBank Action = "volunteer.time_bank"

	// Search: anyone logged in may search; what each finds is what the read
	// action of each kind reaches (Actor.Reach), filtered in the query.
	ActionSearch Action = "search.read"

	// Risk early warning (warning.go).
	ActionReadWarnings  Action = "warnings.read"   // alerts touching one's area
	ActionDecideWarning Action = "warnings.decide" // acknowledge, dismiss with a reason, open a case from an alert
	ActionRunWarnings   Action = "warnings.run"    // run the daily warning over an area now
	// Care visits (care.go): the care registry, visit plans and visits.
	ActionRegisterCare Action = "care.register" // register a person with consent, change the plan, end care: community staff
	ActionReadCare     Action = "care.read"     // read an entry (logged): its assigned visitors and the community's staff
	ActionVisitCare    Action = "care.visit"    // record a visit, turn a concern into a case: an assigned visitor
	ActionCareVisitor  Action = "care.visitor"  // may be assigned to visit there: grid workers, volunteers, building roles
	ActionCareQueue    Action = "care.queue"    // one's own due visits
	ActionCareCoverage Action = "care.coverage" // the monthly coverage rate of an area (no personal data)
	ActionExportCare   Action = "care.export"   // export the registry: refused to everyone by default

	// Notices (notice.go): notices to an area's people, read receipts, group robots.
	ActionReadNotice     Action = "notices.read"      // read (and confirm) a notice: its audience, and staff over its scope
	ActionPostNotice     Action = "notices.post"      // post a notice to an area within one's own, see its counts, re-remind the unread
	ActionFollowUpNotice Action = "notices.follow_up" // who of one's buildings or grid has not read or confirmed (masked)
	ActionManageRobots   Action = "notices.robots"    // connect or stop an area's work-group robot
	ActionWithdrawNotice Action = "notices.withdraw"  // withdraw a notice: its sender, and staff over its scope
)

// Object is what an action is taken on, as far as access is concerned.
type Object struct {
	// Areas are the area codes the object lies in; it is in a grant's scope
	// when any of them is (a person is in every area they hold a role in).
	// No areas means "tied to no area", which only a city's scope covers.
	Areas []string
	// Owner is the user the object belongs to (an account, a token), 0 if none.
	Owner int64
	// Category is a case category, for department handlers' category scope.
	Category string
	// Grants are, for account administration, the roles the target person
	// holds or is to receive: the actor must be able to grant each of them.
	Grants []RoleGrant
	// Assignee is the user a case is dispatched to; Dept the department.
	Assignee int64
	Dept     string
	// Done are the steps already taken on the object (a case's history),
	// oldest first: the separation of duties decides by them.
	Done []Done
	// MergedReporters are reporters of cases merged into this one (as far
	// as the asker needs: the asker's own id or none). They may read the
	// case their report was merged into, to learn its outcome.
	MergedReporters []int64
	// Electors are people on a vote's frozen roll (as far as the asker
	// needs: the asker's own id or none).
	Electors []int64
	// Visitors are the people assigned to visit a care entry.
	Visitors []int64
	// Audience are the roles a notice is for (with Areas its scope); nil
	// with AudienceSet means every role.
	Audience    []string
	AudienceSet bool
	// Members are the people a team's notice is for (as far as the asker
	// needs: the asker's own id or none).
	Members []int64
}

// Colleague is a person as the object of ActionNameColleague: they lie
// only in the areas of their staff roles, so being a resident somewhere
// makes no one a colleague there. A person without a staff role lies
// nowhere, and no one may name them.
func Colleague(u User) Object {
	areas := []string{}
	for _, g := range u.Grants {
		if info, ok := LookupRole(g.Role); ok && info.Staff && g.AreaCode != "" {
			areas = append(areas, g.AreaCode)
		}
	}
	return Object{Areas: areas, Grants: []RoleGrant{}}
}

// Done is a step a person already took on an object.
type Done struct {
	Action  CaseAction
	ActorID int64
}

// StepsDone lists a case's history as the steps its people took.
func StepsDone(evs []CaseEvent) []Done {
	out := make([]Done, len(evs))
	for i, ev := range evs {
		out[i] = Done{ev.Action, ev.ActorID}
	}
	return out
}

// In is a shorthand for an object in one area.
func In(code string) Object { return Object{Areas: []string{code}} }

// ParticipationScope is where lists of scoped matters (proposals, votes,
// lectures) look for an actor: below each of the actor's grants and at
// each grant's ancestors (a resident reads their community's and street's
// matters). Each item is still authorised on its own (scopeOverlap).
func ParticipationScope(actor Actor) (within, exact []string) {
	for _, g := range actor.Grants {
		within = append(within, g.AreaCode)
		exact = append(exact, AncestorCodes(g.AreaCode)...)
	}
	return within, exact
}

// AncestorCodes lists the codes above code: street, community and so on up
// to the district (a city holds no scoped matters).
func AncestorCodes(code string) []string {
	var out []string
	for _, n := range []int{6, 9, 12, 15} {
		if len(code) > n && !(n == 6 && strings.HasSuffix(code[:6], "00")) {
			out = append(out, code[:n])
		}
	}
	return out
}

type scope int

const (
	scopeOwn      scope = iota // the object's Owner is the actor
	scopeSubtree               // the object lies in the grant's area subtree
	scopeCategory              // subtree, and the object's category is one of the grant's
	scopeGrantor               // subtree, and the actor may grant every role in Object.Grants
	scopeAssignee              // the object is assigned to the actor
	scopeDept                  // category scope, and the object is assigned to a department
	scopeAnyone                // any logged-in actor, anywhere
	scopeOverlap               // the grant's area and one of the object's lie one within the other
	scopeMergedIn              // the actor reported a case merged into the object
	scopeElector               // the actor is on the object's (a vote's) roll
	scopeVisitor               // the actor is assigned to visit the object (a care entry)
	scopeAudience              // overlap, and the grant's role is one of the object's audience
	scopeMember                // the actor is one of the object's Members (a team's notice)
)

type rule struct {
	role  string // "*" for any logged-in actor
	scope scope
}

// staffReaders may read people's records (masked) in their area.
var staffReaders = []string{RoleGridWorker, RoleCommunityStaff, RoleCommunitySecretary, RoleStreetDispatcher, RoleDistrictAdmin, RoleCityAdmin, RoleAuditor}

// caseStaff run the case loop in their area: triage, dispatch, close.
var caseStaff = []string{RoleCommunityStaff, RoleCommunitySecretary, RoleStreetDispatcher, RoleDistrictAdmin}

// caseReaders see every case in their area (reporters masked).
var caseReaders = []string{RoleGridWorker, RoleCommunityStaff, RoleCommunitySecretary, RoleStreetDispatcher, RoleDistrictAdmin, RoleCityAdmin, RoleAuditor}

// cogovParticipants take part in their scope's co-governance: everyone
// but auditors, who only read.
var cogovParticipants = []string{RoleResident, RoleReporter, RoleVolunteer, RoleGridWorker, RoleBuilding, RoleCommunityStaff,
	RoleCommunitySecretary, RoleStreetDispatcher, RoleDepartmentHandler, RoleDistrictAdmin, RoleCityAdmin}

// cogovStaff moderate proposals and run votes in their area.
var cogovStaff = []string{RoleCommunityStaff, RoleCommunitySecretary, RoleStreetDispatcher, RoleDistrictAdmin, RoleCityAdmin}

// householdStaff keep a community's households: its own staff only, as
// they know the flats (street and district staff run votes but do not
// read who lives where).
var householdStaff = []string{RoleCommunityStaff, RoleCommunitySecretary}

// volunteerStaff verify requests for help and confirm service in their area.
var volunteerStaff = []string{RoleCommunityStaff, RoleCommunitySecretary, RoleStreetDispatcher, RoleDistrictAdmin}

// careStaff register people for care and read the registry of their
// community: community staff and the secretary, nobody above (the
// registry is sensitive personal information, read where the care is
// given).
var careStaff = []string{RoleCommunityStaff, RoleCommunitySecretary}

// noticeStaff post notices to their area and connect its work groups.
var noticeStaff = []string{RoleCommunityStaff, RoleCommunitySecretary, RoleStreetDispatcher, RoleDistrictAdmin, RoleCityAdmin}

// accountAdmins may administer accounts in their area, within what they may grant.
var accountAdmins = []string{RoleCommunitySecretary, RoleDistrictAdmin, RoleCityAdmin}

func rules(s scope, roles ...string) []rule {
	out := make([]rule, len(roles))
	for i, r := range roles {
		out[i] = rule{r, s}
	}
	return out
}

// policy lists, per action, who may take it and over what. It is the whole
// access policy: handlers ask Authorize and never decide by themselves.
var policy = map[Action][]rule{
	ActionImportAreas:       rules(scopeSubtree, RoleCityAdmin, RoleDistrictAdmin),
	ActionExportAreas:       rules(scopeSubtree, RoleCityAdmin, RoleDistrictAdmin),
	ActionReadSelf:          rules(scopeOwn, "*"),
	ActionChangeOwnPassword: rules(scopeOwn, "*"),
	ActionListUsers:         rules(scopeSubtree, staffReaders...),
	ActionReadUser:          append(rules(scopeOwn, "*"), rules(scopeSubtree, staffReaders...)...),
	// Unmasking is for roles that must phone people; auditors read masked data.
	ActionUnmaskUser:          append(rules(scopeOwn, "*"), rules(scopeSubtree, RoleGridWorker, RoleCommunityStaff, RoleCommunitySecretary, RoleStreetDispatcher, RoleDistrictAdmin, RoleCityAdmin)...),
	ActionCreateUser:          rules(scopeGrantor, accountAdmins...),
	ActionResetPassword:       rules(scopeGrantor, accountAdmins...),
	ActionUnlockUser:          rules(scopeGrantor, accountAdmins...),
	ActionGrantRole:           rules(scopeGrantor, accountAdmins...),
	ActionRevokeRole:          rules(scopeGrantor, accountAdmins...),
	ActionListTokens:          append(rules(scopeOwn, "*"), rules(scopeSubtree, RoleDistrictAdmin, RoleCityAdmin)...),
	ActionCreateToken:         rules(scopeOwn, RoleDepartmentHandler, RoleStreetDispatcher, RoleCommunitySecretary, RoleDistrictAdmin, RoleCityAdmin, RoleAuditor),
	ActionRevokeToken:         append(rules(scopeOwn, "*"), rules(scopeSubtree, RoleDistrictAdmin, RoleCityAdmin)...),
	ActionReadAudit:           rules(scopeSubtree, RoleAuditor),
	ActionExportAudit:         rules(scopeSubtree, RoleAuditor),
	ActionManageBuildingRoles: rules(scopeSubtree, RoleCityAdmin),
	// Colleagues are staff on the same ground: one's area within the
	// other's. Auditors read masked data and name no one.
	ActionNameColleague: rules(scopeOverlap, RoleGridWorker, RoleCommunityStaff, RoleCommunitySecretary, RoleStreetDispatcher,
		RoleDepartmentHandler, RoleDistrictAdmin, RoleCityAdmin),
	// The calendar is the city's: one schedule sets every deadline.
	ActionManageCalendar: rules(scopeSubtree, RoleCityAdmin),
	// Open311 keys file cases anywhere in the jurisdiction: the city's.
	ActionManageOpen311Keys: rules(scopeSubtree, RoleCityAdmin),

	ActionReportCase: rules(scopeAnyone, "*"),
	ActionReadCase: join(rules(scopeOwn, "*"), rules(scopeAssignee, "*"), rules(scopeSubtree, caseReaders...),
		rules(scopeDept, RoleDepartmentHandler), rules(scopeMergedIn, "*")),
	ActionUnmaskCase:       rules(scopeSubtree, RoleGridWorker, RoleCommunityStaff, RoleCommunitySecretary, RoleStreetDispatcher, RoleDistrictAdmin, RoleCityAdmin),
	ActionTriageCase:       rules(scopeSubtree, caseStaff...),
	ActionDispatchCase:     rules(scopeSubtree, caseStaff...),
	ActionWorkCase:         join(rules(scopeAssignee, "*"), rules(scopeDept, RoleDepartmentHandler)),
	ActionSelfHandleCase:   rules(scopeSubtree, RoleGridWorker),
	ActionVerifyCase:       join(rules(scopeOwn, "*"), rules(scopeSubtree, RoleGridWorker), rules(scopeSubtree, caseStaff...)),
	ActionCloseCase:        rules(scopeSubtree, caseStaff...),
	ActionRateCase:         rules(scopeOwn, "*"),
	ActionApproveCase:      rules(scopeSubtree, RoleCommunitySecretary, RoleStreetDispatcher, RoleDistrictAdmin),
	ActionManageCategories: rules(scopeSubtree, RoleCityAdmin),
	ActionReadIndicators:   rules(scopeSubtree, caseReaders...),
	ActionManageWebhooks:   rules(scopeSubtree, RoleDistrictAdmin, RoleCityAdmin),

	ActionReadNotifications:    rules(scopeOwn, "*"),
	ActionMarkNotifications:    rules(scopeOwn, "*"),
	ActionNotificationSettings: rules(scopeOwn, "*"),
	ActionPushSubscriptions:    rules(scopeOwn, "*"),

	// Co-governance: one takes part in a scope one holds a role in — the
	// scope within one's area (a secretary and the community's buildings)
	// or one's area within the scope (a resident and their community).
	// People invited to a meeting by name (its Members) read it and sign
	// in wherever they hold roles; Members is empty on every other object.
	ActionReadCogov:        join(rules(scopeOverlap, append(slices.Clone(cogovParticipants), RoleAuditor)...), rules(scopeMember, "*")),
	ActionPropose:          rules(scopeOverlap, cogovParticipants...),
	ActionSupportProposal:  rules(scopeOverlap, cogovParticipants...),
	ActionModerateProposal: rules(scopeSubtree, cogovStaff...),
	ActionManageVote:       rules(scopeSubtree, cogovStaff...),
	ActionManageMeeting:    rules(scopeSubtree, cogovStaff...),
	ActionAttendMeeting:    join(rules(scopeOverlap, cogovParticipants...), rules(scopeMember, "*")),
	ActionObject:           rules(scopeOverlap, cogovParticipants...),
	ActionNominate:         rules(scopeOverlap, cogovParticipants...),
	// Projects: staff of the scope run them, its people comment, and its
	// residents and building roles (not staff) rate them at the end.
	ActionManageProject:    rules(scopeSubtree, cogovStaff...),
	ActionEvaluateProject:  rules(scopeOverlap, RoleResident, RoleBuilding),
	ActionComment:          rules(scopeOverlap, cogovParticipants...),
	ActionReadHouseholds:   join(rules(scopeOwn, "*"), rules(scopeSubtree, householdStaff...)),
	ActionManageHouseholds: rules(scopeSubtree, householdStaff...),
	ActionManageCourtyard:  rules(scopeSubtree, householdStaff...),
	// The roll frozen at opening decides who votes, whatever one's role.
	ActionCastBallot: rules(scopeElector, "*"),

	// Volunteer service: residents ask at their building, grid workers,
	// building roles and staff on someone's behalf in their area; the
	// community verifies; a volunteer claims only where their grant covers
	// the building — nobody is assigned by force (志愿服务条例 art. 25).
	ActionAskHelp:        rules(scopeSubtree, append([]string{RoleResident, RoleGridWorker, RoleBuilding}, volunteerStaff...)...),
	ActionAskHelpFor:     rules(scopeSubtree, append([]string{RoleGridWorker, RoleBuilding}, volunteerStaff...)...),
	ActionReadHelp:       join(rules(scopeOwn, "*"), rules(scopeAssignee, "*"), rules(scopeSubtree, append([]string{RoleVolunteer}, volunteerStaff...)...)),
	ActionVerifyHelp:     rules(scopeSubtree, volunteerStaff...),
	ActionClaimHelp:      rules(scopeSubtree, RoleVolunteer),
	ActionServeHelp:      rules(scopeAssignee, "*"),
	ActionInviteHelp:     rules(scopeSubtree, volunteerStaff...),
	ActionConfirmHelp:    join(rules(scopeOwn, "*"), rules(scopeSubtree, volunteerStaff...)),
	ActionSeeHelpAddress: join(rules(scopeOwn, "*"), rules(scopeAssignee, "*"), rules(scopeSubtree, volunteerStaff...)),
	ActionVolunteerHours: rules(scopeOwn, RoleVolunteer),
	ActionCertifyHours:   rules(scopeOwn, RoleVolunteer),
	ActionCertifyFor:     rules(scopeSubtree, volunteerStaff...),
	// Anyone logged in registers as a volunteer; the community's staff
	// approve (only approved volunteers claim: volunteering.Claim).
	ActionRegisterVolunteer: rules(scopeOwn, "*"),
	ActionApproveVolunteer:  rules(scopeSubtree, volunteerStaff...),
	// Teams: staff form them and name a captain; the captain (assignee)
	// or staff accept members; anyone logged in sees them.
	ActionManageTeams: rules(scopeSubtree, volunteerStaff...),
	ActionLeadTeam:    join(rules(scopeAssignee, "*"), rules(scopeSubtree, volunteerStaff...)),
	ActionReadTeams:   rules(scopeAnyone, "*"),

	// Lectures: the people of a scope (as in co-governance) read and join
	// its lectures; co-governance's staff run them.
	ActionReadLecture:    rules(scopeOverlap, append(slices.Clone(cogovParticipants), RoleAuditor)...),
	ActionJoinLecture:    rules(scopeOverlap, cogovParticipants...),
	ActionManageLecture:  rules(scopeSubtree, cogovStaff...),
	ActionAdjustTimeBank: rules(scopeSubtree, volunteerStaff...),
	// Whoever records certifies (MCA order No. 67): the community that
	// recorded a service corrects it.
	ActionCorrectHelp: rules(scopeSubtree, RoleCommunityStaff, RoleCommunitySecretary),
	// A locked sign-in code is renewed by the staff who verify requests.
	ActionRenewSignCode: rules(scopeSubtree, volunteerStaff...),
	// The full ID number: only the recording organisation's staff.
	ActionReadVolunteerID: rules(scopeSubtree, RoleCommunityStaff, RoleCommunitySecretary),
	ActionTimeBank:        rules(scopeOwn, "*"),

	ActionSearch:        rules(scopeAnyone, "*"),
	ActionReadWarnings:  rules(scopeSubtree, caseReaders...),
	ActionDecideWarning: rules(scopeSubtree, caseStaff...),
	ActionRunWarnings:   rules(scopeSubtree, RoleDistrictAdmin, RoleCityAdmin),
	// Care visits: only the community's staff and the assigned visitors
	// read an entry; visitors are grid workers, volunteers and building
	// roles whose grant covers the person's building. Exports have no
	// rule: refused to everyone (docs/care.md).
	ActionRegisterCare: rules(scopeSubtree, careStaff...),
	ActionReadCare:     join(rules(scopeSubtree, careStaff...), rules(scopeVisitor, "*")),
	ActionVisitCare:    rules(scopeVisitor, "*"),
	ActionCareVisitor:  rules(scopeSubtree, RoleGridWorker, RoleVolunteer, RoleBuilding),
	ActionCareQueue:    rules(scopeOwn, "*"),
	ActionCareCoverage: rules(scopeSubtree, RoleCommunityStaff, RoleCommunitySecretary, RoleStreetDispatcher, RoleDistrictAdmin, RoleCityAdmin),
	ActionExportCare:   {},
	// Notices: staff post to an area within their own; a notice reaches the
	// people holding a role of its audience in or above its scope (and
	// staff over it, and auditors); building heads and grid workers follow
	// up with their own buildings' and grid's people.
	ActionReadNotice:     join(rules(scopeSubtree, append(slices.Clone(noticeStaff), RoleAuditor)...), rules(scopeAudience, "*"), rules(scopeMember, "*")),
	ActionWithdrawNotice: join(rules(scopeSubtree, noticeStaff...), rules(scopeOwn, "*")),
	ActionPostNotice:     rules(scopeSubtree, noticeStaff...),
	ActionFollowUpNotice: rules(scopeSubtree, append([]string{RoleBuilding, RoleGridWorker}, noticeStaff...)...),
	ActionManageRobots:   rules(scopeSubtree, RoleCommunityStaff, RoleCommunitySecretary, RoleStreetDispatcher, RoleDistrictAdmin),
}

func join(rs ...[]rule) []rule {
	var out []rule
	for _, r := range rs {
		out = append(out, r...)
	}
	return out
}

// Actions lists every action the policy knows, for tests and documents.
func Actions() []Action {
	out := make([]Action, 0, len(policy))
	for a := range policy {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// grantable lists the roles each granting role may hand out (within its area).
// Auditors are named only by city admins, so no one below appoints their own.
var grantable = map[string][]string{
	RoleCityAdmin: {RoleResident, RoleReporter, RoleVolunteer, RoleGridWorker, RoleBuilding, RoleCommunityStaff,
		RoleCommunitySecretary, RoleStreetDispatcher, RoleDepartmentHandler, RoleDistrictAdmin, RoleCityAdmin, RoleAuditor},
	RoleDistrictAdmin: {RoleResident, RoleReporter, RoleVolunteer, RoleGridWorker, RoleBuilding, RoleCommunityStaff,
		RoleCommunitySecretary, RoleStreetDispatcher, RoleDepartmentHandler},
	RoleCommunitySecretary: {RoleResident, RoleVolunteer, RoleGridWorker, RoleBuilding, RoleCommunityStaff},
}

// canGrant reports whether grant g lets its holder hand out t.
func canGrant(g, t RoleGrant) bool {
	return slices.Contains(grantable[g.Role], t.Role) && g.Covers(t.AreaCode)
}

// duty is a rule of the separation of duties: whoever took one of the
// barred steps on an object may not take the action on it. The rule is per
// person, whatever role or credential they act with. With latest, only the
// most recent of the barred steps counts (the request now being decided).
type duty struct {
	action Action
	barred []CaseAction
	latest bool
	why    string
}

// worked are the steps of the person who did the work on a case.
var worked = []CaseAction{CaseAccept, CaseHandle, CaseSelfHandle}

// separationOfDuties is the whole table: no one checks, closes or approves
// their own work. docs/cases.md states it.
var separationOfDuties = []duty{
	{ActionVerifyCase, worked, false, "whoever accepted, handled or self-handled a case cannot verify it or send it back; someone else checks the fix"},
	{ActionCloseCase, worked, false, "whoever accepted, handled or self-handled a case cannot close it"},
	{ActionApproveCase, []CaseAction{CaseRequestExtension, CaseRequestSuspend, CaseRequestCancel}, true,
		"whoever asked for an extension, suspension or cancellation cannot decide it (nor resume a suspension they asked for)"},
}

// NeedsHistory reports whether deciding the action needs Object.Done.
func NeedsHistory(action Action) bool {
	return slices.ContainsFunc(separationOfDuties, func(d duty) bool { return d.action == action })
}

// Authorize is the one place that decides whether actor may take action on
// obj. It returns nil, or an EUNAUTHORIZED (nobody logged in) or EFORBIDDEN
// error that says why.
func Authorize(actor Actor, action Action, obj Object) error {
	if err := authorizeScope(actor, action, obj); err != nil {
		return err
	}
	return separateDuties(actor, action, obj)
}

// separateDuties applies the separation of duties to a person's action.
// Without the object's history it refuses: a forgotten history must not
// mean "nobody did anything".
func separateDuties(actor Actor, action Action, obj Object) error {
	for _, d := range separationOfDuties {
		if d.action != action || actor.UserID == 0 {
			continue
		}
		if obj.Done == nil {
			return Errorf(EFORBIDDEN, "%s: the object's history is needed to check the separation of duties", action)
		}
		for i := len(obj.Done) - 1; i >= 0; i-- {
			step := obj.Done[i]
			if !slices.Contains(d.barred, step.Action) {
				continue
			}
			if step.ActorID == actor.UserID {
				return Errorf(EFORBIDDEN, "%s: %s", action, d.why)
			}
			if d.latest {
				break
			}
		}
	}
	return nil
}

func authorizeScope(actor Actor, action Action, obj Object) error {
	rs, ok := policy[action]
	if !ok {
		return Errorf(EFORBIDDEN, "%s: no policy for this action", action)
	}
	if actor.Anonymous() {
		return Errorf(EUNAUTHORIZED, "%s: log in first", action)
	}
	// Tokens act for integrations; they never create further credentials.
	// Nor do they vote: a ballot is a person's own.
	if actor.Via == "token" && (action == ActionCreateToken || action == ActionChangeOwnPassword || action == ActionCastBallot) {
		return Errorf(EFORBIDDEN, "%s: not possible with an API token; log in", action)
	}
	roleAllowed := false
	for _, r := range rs {
		if r.role == "*" {
			roleAllowed = true
			if allows(actor, RoleGrant{}, r.scope, obj) {
				return nil
			}
			continue
		}
		for _, g := range actor.Grants {
			if g.Role != r.role {
				continue
			}
			roleAllowed = true
			if allows(actor, g, r.scope, obj) {
				return nil
			}
		}
	}
	if !roleAllowed {
		return Errorf(EFORBIDDEN, "%s: not allowed for %s", action, roleNames(actor))
	}
	// A refusal names only what the caller asked about or holds: never the
	// areas or roles of a person, case or token it may not see.
	if len(obj.Grants) > 0 && (action == ActionGrantRole || action == ActionRevokeRole || action == ActionCreateUser || action == ActionResetPassword || action == ActionUnlockUser) {
		return Errorf(EFORBIDDEN, "%s: %s may administer only people whose every role it may grant, within its area (%s)", action, roleNames(actor), scopeNames(actor))
	}
	what := "this object"
	if obj.bareArea() {
		what = describeObject(obj)
	}
	return Errorf(EFORBIDDEN, "%s: %s lies outside your scope (%s)", action, what, scopeNames(actor))
}

// bareArea reports whether the object is only an area the caller named (a
// list's filter), which a refusal may repeat.
func (o Object) bareArea() bool {
	return o.Owner == 0 && o.Grants == nil && o.Assignee == 0 && o.Dept == "" && o.Category == "" && o.Done == nil &&
		o.MergedReporters == nil && o.Electors == nil && o.Visitors == nil && !o.AudienceSet &&
		o.Members == nil
}

func allows(actor Actor, g RoleGrant, s scope, obj Object) bool {
	switch s {
	case scopeOwn:
		return obj.Owner != 0 && obj.Owner == actor.UserID && actor.reaches(obj)
	case scopeSubtree:
		return coversAny(g, obj.Areas)
	case scopeCategory:
		return coversAny(g, obj.Areas) && slices.Contains(g.Categories, obj.Category)
	case scopeAssignee:
		return obj.Assignee != 0 && obj.Assignee == actor.UserID && actor.reaches(obj)
	case scopeDept:
		return obj.Dept != "" && coversAny(g, obj.Areas) && slices.Contains(g.Categories, obj.Category)
	case scopeAnyone:
		return true
	case scopeOverlap:
		for _, a := range obj.Areas {
			if a != "" && (g.Covers(a) || InSubtree(a, g.AreaCode)) {
				return true
			}
		}
		return false
	case scopeMergedIn:
		return actor.UserID != 0 && slices.Contains(obj.MergedReporters, actor.UserID) && actor.reaches(obj)
	case scopeElector:
		return actor.UserID != 0 && slices.Contains(obj.Electors, actor.UserID) && actor.reaches(obj)
	case scopeVisitor:
		return actor.UserID != 0 && slices.Contains(obj.Visitors, actor.UserID) && actor.reaches(obj)
	case scopeMember:
		return actor.UserID != 0 && slices.Contains(obj.Members, actor.UserID) && actor.reaches(obj)
	case scopeAudience:
		if !obj.AudienceSet {
			return false
		}
		for _, h := range actor.Grants {
			if obj.Audience != nil && !slices.Contains(obj.Audience, h.Role) {
				continue
			}
			for _, a := range obj.Areas {
				if a != "" && (h.Covers(a) || InSubtree(a, h.AreaCode)) {
					return true
				}
			}
		}
		return false
	case scopeGrantor:
		if !coversAny(g, obj.Areas) {
			return false
		}
		for _, t := range obj.Grants {
			if !canGrantAny(actor, t) {
				return false
			}
		}
		return true
	}
	return false
}

// reaches reports whether an object the actor gets at as a person (their
// own report, a case assigned to them) lies within what the actor acts with.
// A session acts as the whole person; a token is limited to its grant's area
// (and categories), so it does not reach its creator's objects elsewhere.
// Objects tied to no area (one's own account, one's tokens) are reached.
func (a Actor) reaches(obj Object) bool {
	if a.Via != "token" || len(obj.Areas) == 0 {
		return true
	}
	for _, g := range a.Grants {
		if coversAny(g, obj.Areas) && (len(g.Categories) == 0 || obj.Category == "" || slices.Contains(g.Categories, obj.Category)) {
			return true
		}
	}
	return false
}

func coversAny(g RoleGrant, areas []string) bool {
	if len(areas) == 0 {
		return g.Covers("")
	}
	for _, a := range areas {
		if g.Covers(a) {
			return true
		}
	}
	return false
}

// canGrantAny reports whether any of the actor's grants may hand out t.
func canGrantAny(actor Actor, t RoleGrant) bool {
	for _, g := range actor.Grants {
		if canGrant(g, t) {
			return true
		}
	}
	return false
}

// CanDeriveToken reports whether the actor holds a grant from which an API
// token with grant t may be cut: the same role (and details) over an area
// within the held one. A token never exceeds its creator.
func CanDeriveToken(actor Actor, t RoleGrant) bool {
	for _, g := range actor.Grants {
		if g.Role == t.Role && g.Detail == t.Detail && g.Covers(t.AreaCode) {
			ok := true
			for _, c := range t.Categories {
				ok = ok && slices.Contains(g.Categories, c)
			}
			if ok {
				return true
			}
		}
	}
	return false
}

func roleNames(a Actor) string {
	if len(a.Grants) == 0 {
		return "an account without roles"
	}
	var names []string
	for _, g := range a.Grants {
		if !slices.Contains(names, g.Role) {
			names = append(names, g.Role)
		}
	}
	return "role " + strings.Join(names, ", ")
}

func scopeNames(a Actor) string {
	var codes []string
	for _, g := range a.Grants {
		codes = append(codes, g.Role+"@"+g.AreaCode)
	}
	if len(codes) == 0 {
		return "none"
	}
	return strings.Join(codes, ", ")
}

func describeObject(o Object) string {
	switch {
	case len(o.Areas) == 0:
		return "an object tied to no area"
	case len(o.Areas) == 1:
		return "area " + o.Areas[0]
	}
	return "areas " + strings.Join(o.Areas, ", ")
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// APIToken is a credential for integrations. Its secret is shown once at
// creation; only a hash is stored. It acts with one grant, never more than its
// creator held when making it.
type APIToken struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	AreaCode   string    `json:"area_code"`
	Detail     string    `json:"detail,omitempty"`
	Categories []string  `json:"categories,omitempty"`
	CreatedBy  int64     `json:"created_by,omitempty"` // 0: made on the command line
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// Grant returns the grant the token acts with.
func (t APIToken) Grant() RoleGrant {
	return RoleGrant{Role: t.Role, AreaCode: t.AreaCode, Detail: t.Detail, Categories: t.Categories}
}

// ActorFor returns who the token acts as, given its creator as they are now.
// A token never does more than its creator may do now: it works only while
// the creator could still cut its grant from one they hold and may act at
// all (no temporary password waiting to be changed). Tokens made on the
// command line have no creator and act with their grant.
func (t APIToken) ActorFor(creator User) (Actor, error) {
	if t.CreatedBy != 0 {
		if creator.ID != t.CreatedBy {
			return Actor{}, Errorf(EUNAUTHORIZED, "this token's creator no longer has an account")
		}
		if creator.MustChangePassword {
			return Actor{}, Errorf(EUNAUTHORIZED, "this token's creator must set a new password before the token works again")
		}
		if !CanDeriveToken(creator.Actor(), t.Grant()) {
			return Actor{}, Errorf(EUNAUTHORIZED, "this token's creator no longer holds the role it carries (%s@%s)", t.Role, t.AreaCode)
		}
	}
	return Actor{UserID: t.CreatedBy, Name: t.Name, Grants: []RoleGrant{t.Grant()}, Via: "token", TokenID: t.ID}, nil
}
