package volunteering

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
)

// Links between cases and requests for help: a case that needs a
// volunteer rather than a department (an elderly resident's broken lamp)
// becomes a request in one step, and a request that is a public-facility
// problem becomes a case. The link is kept on the request (its case_id);
// the case's own records are casework's, reached only through Cases. Each
// side shows the link only to a reader who may read the other side: the
// policy point decides, through the other module's service.

// Cases is what the service needs of the case service (casework.Service).
type Cases interface {
	// Get returns a case the actor may read (ENOTFOUND otherwise).
	Get(ctx context.Context, actor civicgrid.Actor, id int64) (casework.View, error)
	Report(ctx context.Context, actor civicgrid.Actor, r casework.Report, idem *civicgrid.Idempotency) (casework.Intake, error)
	Act(ctx context.Context, actor civicgrid.Actor, id int64, action civicgrid.CaseAction, st casework.Step) (civicgrid.Case, error)
}

// Care is what the service needs of the care service: the care entry a
// request came from (a care visit's concern), when the actor may read it.
type Care interface {
	EntryOfVisit(ctx context.Context, actor civicgrid.Actor, visitID int64) (int64, error)
}

// SetLinks wires the case and care services (cmd/civicgrid), which are made
// after this one. Either may be nil: no links of that kind.
func (s *Service) SetLinks(cases Cases, care Care) { s.cases, s.care = cases, care }

// HelpActToCase is a request turned into a case (data: case; status
// cancelled, the reason saying so).
const HelpActToCase = "request.to_case"

// StepToCase closes a request not yet taken or taken but not served: it
// became a case.
var StepToCase = civicgrid.HelpStep{Action: HelpActToCase, From: []civicgrid.HelpStatus{civicgrid.HelpPosted, civicgrid.HelpAccepted}, To: civicgrid.HelpCancelled}

// FromCase is what turns a case into a request: the service, the person
// helped (named: the request is made on their behalf) and how to reach
// them, a note (the case's description when empty), the building (the
// case's when empty) and the urgency.
type FromCase struct {
	Service      string `json:"service"`
	Beneficiary  string `json:"beneficiary"`
	Contact      string `json:"contact"`
	Note         string `json:"note"`
	BuildingCode string `json:"building_code"`
	Urgency      string `json:"urgency"`
}

// caseOrigin is the origin of a request made from a case (one per case).
func caseOrigin(id int64) string { return "case:" + strconv.FormatInt(id, 10) }

// FromCaseRequest turns a case the actor may read into a request for help
// on someone's behalf (grid workers, building roles, staff: ActionAskHelpFor
// at the building), linked both ways: the request keeps the case, its
// history says so, and the case gets a comment. Asking again returns the
// first request. The case is not closed: it goes on by its own steps.
func (s *Service) FromCaseRequest(ctx context.Context, actor civicgrid.Actor, caseID int64, in FromCase) (View, error) {
	if s.cases == nil {
		return View{}, civicgrid.Errorf(civicgrid.ECONFLICT, "cases are not served here")
	}
	c, err := s.cases.Get(ctx, actor, caseID)
	if err != nil {
		return View{}, err
	}
	if prev, err := s.store.HelpRequestOfCase(ctx, caseID); err == nil {
		return s.Request(ctx, actor, prev.ID)
	} else if civicgrid.ErrorCode(err) != civicgrid.ENOTFOUND {
		return View{}, err
	}
	in.Beneficiary = strings.TrimSpace(in.Beneficiary)
	if in.Beneficiary == "" {
		return View{}, civicgrid.Errorf(civicgrid.EINVALID, "name the person to help (beneficiary): a request made from a case is made on their behalf")
	}
	if in.BuildingCode == "" {
		in.BuildingCode = c.BuildingCode
	}
	if in.BuildingCode == "" {
		return View{}, civicgrid.Errorf(civicgrid.EINVALID, "case %d names no building: give the building (building_code) where the help is needed", caseID)
	}
	note := strings.TrimSpace(in.Note)
	if note == "" {
		note = strings.TrimSpace(c.Description)
	}
	if r := []rune(note); len(r) > civicgrid.MaxHelpNote {
		note = string(r[:civicgrid.MaxHelpNote])
	}
	r, err := s.askFrom(ctx, actor, civicgrid.HelpInput{Service: in.Service, BuildingCode: in.BuildingCode, Beneficiary: in.Beneficiary,
		Contact: in.Contact, Note: note, Urgency: in.Urgency}, caseOrigin(caseID), caseID)
	if err != nil {
		return View{}, err
	}
	// The case's history says it became a request (the number is on the
	// request's side: the case page links to it for whoever may read it).
	if _, err := s.cases.Act(ctx, actor, caseID, civicgrid.CaseComment, casework.Step{Note: "转为志愿服务需求 · turned into a volunteer request"}); err != nil {
		return View{}, err
	}
	return s.Request(ctx, actor, r.ID)
}

// ToCase is what turns a request into a case: the case's category and a
// note (the request's note when empty).
type ToCase struct {
	Category string `json:"category"`
	Note     string `json:"note"`
}

// ToCaseCategory is the category a request becomes when none is chosen
// (C0099 其他问题).
const ToCaseCategory = "C0099"

// RequestToCase turns a request not yet served into a case (the staff who
// verify requests: "this is a public-facility problem"): the case is
// reported at the request's building through the case service (once per
// request), and the request is closed — cancelled, its reason and its
// history naming the change — linked to the case.
func (s *Service) RequestToCase(ctx context.Context, actor civicgrid.Actor, id int64, in ToCase) (View, error) {
	if s.cases == nil {
		return View{}, civicgrid.Errorf(civicgrid.ECONFLICT, "cases are not served here")
	}
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > civicgrid.MaxHelpNote {
		return View{}, civicgrid.Errorf(civicgrid.EINVALID, "a note of at most %d characters", civicgrid.MaxHelpNote)
	}
	r, err := s.readable(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionVerifyHelp, r.Object()); err != nil {
		return View{}, err
	}
	if r.CaseID != 0 {
		return View{}, civicgrid.Errorf(civicgrid.ECONFLICT, "request %d is linked to a case already", id)
	}
	if !StepToCase.Allows(r.Status) {
		return View{}, civicgrid.Errorf(civicgrid.ECONFLICT, "request %d is %s: only a request not yet taken (posted or accepted) becomes a case", id, r.Status)
	}
	_, p, has, err := s.building(ctx, r.BuildingCode)
	if err != nil {
		return View{}, err
	}
	if !has {
		return View{}, civicgrid.Errorf(civicgrid.ECONFLICT, "building %s has no location on the map: report the case from the case pages", r.BuildingCode)
	}
	if in.Category == "" {
		in.Category = ToCaseCategory
	}
	desc := in.Note
	if desc == "" {
		desc = r.Note
	}
	if svc, ok := civicgrid.LookupVolunteerService(r.Service); ok {
		desc = strings.TrimSpace("志愿服务需求转来（" + svc.NameZH + "）：" + desc)
	}
	key := "volunteer-request-" + strconv.FormatInt(id, 10)
	intake, err := s.cases.Report(ctx, actor, casework.Report{Category: in.Category, Description: desc, Lat: p[1], Lng: p[0], BuildingCode: r.BuildingCode},
		&civicgrid.Idempotency{Scope: "user:" + strconv.FormatInt(actor.UserID, 10), Key: key, RequestHash: key + ":" + in.Category})
	if err != nil {
		return View{}, err
	}
	reason := "转为案件 · turned into a case"
	ev := event(actor, HelpActToCase, s.now())
	ev.Note, ev.Data = reason, map[string]string{"case": strconv.FormatInt(intake.Case.ID, 10)}
	r, err = s.store.StepHelp(ctx, id, StepToCase, civicgrid.HelpChange{Reason: reason, CaseID: intake.Case.ID}, ev)
	if err != nil {
		return View{}, err
	}
	return s.Request(ctx, actor, r.ID)
}

// RequestOfCase returns the request a case was turned into (or came
// from), when the actor may read that request (the case page links to
// it); 0 otherwise.
func (s *Service) RequestOfCase(ctx context.Context, actor civicgrid.Actor, caseID int64) (int64, error) {
	r, err := s.store.HelpRequestOfCase(ctx, caseID)
	if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if _, err := s.readable(ctx, actor, r.ID); err != nil {
		if c := civicgrid.ErrorCode(err); c == civicgrid.ENOTFOUND || c == civicgrid.EUNAUTHORIZED {
			return 0, nil
		}
		return 0, err
	}
	return r.ID, nil
}

// links fills the view's links to a case and to a care entry, for a reader
// who may read them, and hides the case's number in the history from
// anyone else.
func (s *Service) links(ctx context.Context, actor civicgrid.Actor, v *View) error {
	if v.HelpRequest.CaseID != 0 && s.cases != nil {
		_, err := s.cases.Get(ctx, actor, v.HelpRequest.CaseID)
		switch civicgrid.ErrorCode(err) {
		case "":
			v.CaseLink = v.HelpRequest.CaseID
		case civicgrid.ENOTFOUND, civicgrid.EFORBIDDEN, civicgrid.EUNAUTHORIZED:
		default:
			return err
		}
	}
	if v.CaseLink == 0 {
		for i, e := range v.History {
			if _, ok := e.Data["case"]; ok {
				d := map[string]string{}
				for k, x := range e.Data {
					if k != "case" {
						d[k] = x
					}
				}
				v.History[i].Data = d
			}
		}
	}
	if visit, ok := strings.CutPrefix(v.Origin, "care-visit:"); ok && s.care != nil {
		vid, _ := strconv.ParseInt(visit, 10, 64)
		entry, err := s.care.EntryOfVisit(ctx, actor, vid)
		if err != nil {
			return err
		}
		v.CareEntry = entry
	}
	return nil
}
