package casework

import (
	"context"
	"log/slog"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/workcal"
)

// View is a case as one actor may see it, with what they may do next.
type View struct {
	civicgrid.Case
	// Light is the traffic light of the running clock ("" when none runs).
	Light string `json:"light,omitempty"`
	// Actions are the steps the state machine allows now and the actor
	// may take.
	Actions []civicgrid.CaseAction `json:"actions"`
	// Assignee is who holds the case, as the actor may see them (single
	// case reads only; nil when the case is with no one).
	Assignee *Assignee `json:"assignee,omitempty"`
	// MergedReport is set when the actor reads this case only because
	// their own report (this id) was merged into it: they see the case
	// in its public form, without anyone else's personal data.
	MergedReport int64 `json:"merged_report,omitempty"`
}

// Assignee names who holds a case. Staff see a colleague's full name
// (civicgrid.ActionNameColleague) and masked phone; a reporter sees a grid
// worker's name (public, as on the grid's notice board, civicgrid.Worker)
// and the configured work phone, never a personal one.
type Assignee struct {
	Name     string `json:"name,omitempty"`
	Role     string `json:"role,omitempty"`      // the role they work the case in
	AreaCode string `json:"area_code,omitempty"` // the area they hold it over
	AreaName string `json:"area_name,omitempty"`
	Dept     string `json:"dept,omitempty"`  // a department the case is dispatched to
	Phone    string `json:"phone,omitempty"` // masked
	// WorkPhone is the number a reporter calls about the case (Config.WorkPhone).
	WorkPhone string `json:"work_phone,omitempty"`
}

// assignee describes who holds c for the actor (nil if no one does).
func (s *Service) assignee(ctx context.Context, actor civicgrid.Actor, c civicgrid.Case) *Assignee {
	if c.AssigneeID == 0 && c.AssigneeDept == "" {
		return nil
	}
	a := &Assignee{Dept: c.AssigneeDept}
	staff := false
	if c.AssigneeID != 0 {
		u, err := s.people.UserByID(ctx, c.AssigneeID)
		if err != nil {
			slog.Warn("case assignee", "case", c.ID, "err", err)
			return a
		}
		if g, ok := workingGrant(u, c); ok {
			a.Role, a.AreaCode, a.AreaName = g.Role, g.AreaCode, g.AreaCode
			if area, err := s.store.AreaByCode(ctx, g.AreaCode); err == nil && area.Name != "" {
				a.AreaName = area.Name
			}
		}
		switch {
		case u.ID == actor.UserID:
			a.Name, a.Phone, staff = u.Name, u.Phone, true
		case civicgrid.Authorize(actor, civicgrid.ActionNameColleague, civicgrid.Colleague(u)) == nil:
			a.Name, a.Phone, staff = u.Name, civicgrid.MaskPhone(u.Phone), true
		case a.Role == civicgrid.RoleGridWorker:
			a.Name = u.Name
		}
	}
	if !staff && len(actor.Scopes(civicgrid.ActionReadCase)) == 0 {
		a.WorkPhone = s.cfg.WorkPhone
	}
	return a
}

// light is the traffic light of the case's running clock ("" if none).
func (s *Service) light(ctx context.Context, c civicgrid.Case) string {
	var start, due time.Time
	var limit string
	cat, err := s.category(ctx, c.Category)
	if err != nil && civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		return ""
	}
	switch c.Status {
	case civicgrid.StatusReported:
		start, due, limit = c.CreatedAt, c.RespondBy, cat.RespondWithin
	case civicgrid.StatusDispatched, civicgrid.StatusInProgress:
		start, due, limit = c.DispatchedAt, c.ResolveBy, cat.ResolveWithin
		if c.Extensions > 0 {
			limit = "" // extended: the share is counted in wall time
		}
	default:
		return ""
	}
	if due.IsZero() {
		return ""
	}
	if limit == "" {
		return Light(start, due, s.now())
	}
	return workcal.Light(s.calendar.Share(start, due, s.now(), limit))
}

// view masks the case for the actor: reporters see their own report in
// full; staff see the reporter masked (unmasking is a separate, logged
// action); everyone else sees the public view.
func (s *Service) view(ctx context.Context, actor civicgrid.Actor, c civicgrid.Case) View {
	v := View{Case: c, Actions: []civicgrid.CaseAction{}}
	switch {
	case actor.UserID != 0 && c.ReporterID == actor.UserID:
	case civicgrid.Authorize(actor, civicgrid.ActionReadCase, c.Object()) == nil:
		v.Case = c.Masked()
		v.ReporterID = 0
	default:
		v.Case = c.Public()
	}
	v.Light = s.light(ctx, c)
	obj, withHistory := c.Object(), false
	for _, a := range civicgrid.AllowedCaseActions(c.Status, c.Pending) {
		t, _ := civicgrid.LookupTransition(a)
		if civicgrid.NeedsHistory(t.Permission) && !withHistory {
			// The history is read once, and only when the actor's role
			// allows the step at all; unread, the step is not offered.
			noHistory := obj
			noHistory.Done = []civicgrid.Done{}
			if civicgrid.Authorize(actor, t.Permission, noHistory) != nil {
				continue
			}
			if evs, err := s.store.CaseEvents(ctx, c.ID); err == nil {
				obj.Done, withHistory = civicgrid.StepsDone(evs), true
			}
		}
		if civicgrid.Authorize(actor, t.Permission, obj) == nil {
			v.Actions = append(v.Actions, a)
		}
	}
	return v
}

// View returns a case the caller already holds as the actor may see it
// (live streams), or ENOTFOUND if the actor may not read it.
func (s *Service) View(ctx context.Context, actor civicgrid.Actor, c civicgrid.Case) (View, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadCase, c.Object()); err != nil {
		return View{}, notInSight(c.ID)
	}
	return s.view(ctx, actor, c), nil
}

// notInSight is the answer for a case that does not exist and for one the
// actor may not read alike, so that ids reveal nothing.
func notInSight(id int64) error {
	return civicgrid.Errorf(civicgrid.ENOTFOUND, "no case %d in your scope", id)
}

// visibleCase loads a case the actor may read.
func (s *Service) visibleCase(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Case, error) {
	c, err := s.store.CaseByID(ctx, id)
	if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
		return civicgrid.Case{}, notInSight(id)
	} else if err != nil {
		return civicgrid.Case{}, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadCase, c.Object()); err != nil {
		if civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
			return civicgrid.Case{}, err
		}
		// The reporter of a report merged into this case may read it.
		obj := c.Object()
		if obj.MergedReporters, err = s.mergedReporters(ctx, actor, c.ID); err != nil {
			return civicgrid.Case{}, err
		}
		if civicgrid.Authorize(actor, civicgrid.ActionReadCase, obj) != nil {
			return civicgrid.Case{}, notInSight(id)
		}
	}
	return c, nil
}

// mergedReporters returns the actor's id if a report of theirs was merged
// into the case, directly or through a case merged in turn (none
// otherwise): Object.MergedReporters as far as the actor needs it.
func (s *Service) mergedReporters(ctx context.Context, actor civicgrid.Actor, id int64) ([]int64, error) {
	report, err := s.mergedReport(ctx, actor, id)
	if err != nil || report == 0 {
		return nil, err
	}
	return []int64{actor.UserID}, nil
}

// mergedReport is the actor's report merged into case id (0 if none).
// Merges chain at most a few deep (a kept case may itself be merged).
func (s *Service) mergedReport(ctx context.Context, actor civicgrid.Actor, id int64) (int64, error) {
	if actor.UserID == 0 {
		return 0, nil
	}
	mine, err := s.store.ListCases(ctx, civicgrid.CaseFilter{ReporterID: actor.UserID, Status: []civicgrid.CaseStatus{civicgrid.StatusMerged}, Limit: 500})
	if err != nil {
		return 0, err
	}
	for _, m := range mine {
		into := m.MergedInto
		for hops := 0; into != 0 && hops < 5; hops++ {
			if into == id {
				return m.ID, nil
			}
			next, err := s.store.CaseByID(ctx, into)
			if err != nil {
				break
			}
			into = next.MergedInto
		}
	}
	return 0, nil
}

// Get returns one case as the actor may see it. A case outside the actor's
// scope is "not found", so ids reveal nothing.
func (s *Service) Get(ctx context.Context, actor civicgrid.Actor, id int64) (View, error) {
	c, err := s.visibleCase(ctx, actor, id)
	if err != nil {
		return View{}, err
	}
	v := s.view(ctx, actor, c)
	if civicgrid.Authorize(actor, civicgrid.ActionReadCase, c.Object()) != nil {
		// Read through a merged report: the public view, no one named,
		// nothing to do (the merge counted the reporter already).
		if v.MergedReport, err = s.mergedReport(ctx, actor, c.ID); err != nil {
			return View{}, err
		}
		v.Actions = []civicgrid.CaseAction{}
		return v, nil
	}
	v.Assignee = s.assignee(ctx, actor, c)
	return v, nil
}

// History returns a case's events for an actor who may read the case. Actor
// labels are already masked; notes are shown to those who may read. The
// reporter's account id is left out of their own steps for everyone but
// the reporter, as the case view leaves it out: the chain of such a history
// is checked where the full events are (civicgrid verify).
func (s *Service) History(ctx context.Context, actor civicgrid.Actor, id int64) ([]civicgrid.CaseEvent, error) {
	c, err := s.visibleCase(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	evs, err := s.store.CaseEvents(ctx, id)
	if evs == nil {
		evs = []civicgrid.CaseEvent{}
	}
	if civicgrid.Authorize(actor, civicgrid.ActionReadCase, c.Object()) != nil {
		// A merged report's reporter reads the steps and the fix, not who
		// took them nor what other reporters wrote.
		for i := range evs {
			evs[i].ActorID, evs[i].Actor = 0, ""
			if evs[i].Action != civicgrid.CaseHandle && evs[i].Action != civicgrid.CaseSelfHandle {
				evs[i].Note = ""
			}
		}
		return evs, err
	}
	if c.ReporterID != 0 && c.ReporterID != actor.UserID {
		for i := range evs {
			if evs[i].ActorID == c.ReporterID {
				evs[i].ActorID = 0
			}
		}
	}
	return evs, err
}

// Unmask returns the case with the reporter's identity for staff who may
// unmask; the caller logs the look before showing it.
func (s *Service) Unmask(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Case, error) {
	c, err := s.visibleCase(ctx, actor, id)
	if err != nil {
		return c, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionUnmaskCase, c.Object()); err != nil {
		return civicgrid.Case{}, err
	}
	return c, nil
}

// ListQuery selects the cases of a list.
type ListQuery struct {
	Mine     string // "reported" or "assigned": the actor's own
	Within   string // an area code inside the actor's scope
	Status   []civicgrid.CaseStatus
	Category []string
	Overdue  bool
	Since    time.Time
	Until    time.Time
	After    int64
	Limit    int
	Order    civicgrid.CaseOrder
	From     *civicgrid.CaseCursor // an ordered list continues after this case
}

// List returns the cases the actor may see that match q, newest first.
func (s *Service) List(ctx context.Context, actor civicgrid.Actor, q ListQuery) ([]View, error) {
	f, ok, err := s.listFilter(actor, q)
	if err != nil || !ok {
		return []View{}, err
	}
	cs, err := s.store.ListCases(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.readable(ctx, actor, cs), nil
}

// Each calls fn with every case the actor may see that matches q, newest
// first, however many there are: the store is read a page at a time from
// where the last page ended (q.Limit and q.After are ignored).
func (s *Service) Each(ctx context.Context, actor civicgrid.Actor, q ListQuery, fn func(View) error) error {
	f, ok, err := s.listFilter(actor, q)
	if err != nil || !ok {
		return err
	}
	f.Limit, f.After = 1000, 0
	for {
		cs, err := s.store.ListCases(ctx, f)
		if err != nil {
			return err
		}
		for _, v := range s.readable(ctx, actor, cs) {
			if err := fn(v); err != nil {
				return err
			}
		}
		if len(cs) < f.Limit {
			return nil
		}
		f.After = cs[len(cs)-1].ID
	}
}

// listFilter is the store filter of a list query for the actor (ok false
// when the actor may see nothing).
func (s *Service) listFilter(actor civicgrid.Actor, q ListQuery) (f civicgrid.CaseFilter, ok bool, err error) {
	f = civicgrid.CaseFilter{Status: q.Status, Category: q.Category, Overdue: q.Overdue, Since: q.Since, Until: q.Until,
		After: q.After, Limit: q.Limit, Order: q.Order, From: q.From}
	switch q.Mine {
	case "reported":
		f.ReporterID = actor.UserID
	case "assigned":
		f.AssigneeID = actor.UserID
	case "":
		if q.Within != "" {
			if err := civicgrid.Authorize(actor, civicgrid.ActionReadCase, civicgrid.In(q.Within)); err != nil {
				return f, false, err
			}
			f.Within = []string{q.Within}
		} else {
			f.Within = actor.Scopes(civicgrid.ActionReadCase)
			if len(f.Within) == 0 {
				// People without an area role see their own reports.
				f.ReporterID = actor.UserID
			}
		}
	default:
		return f, false, civicgrid.Errorf(civicgrid.EINVALID, "mine: reported or assigned")
	}
	return f, actor.UserID != 0 || len(f.Within) > 0, nil
}

// readable are the cases the actor may read, as they may see them.
func (s *Service) readable(ctx context.Context, actor civicgrid.Actor, cs []civicgrid.Case) []View {
	out := make([]View, 0, len(cs))
	for _, c := range cs {
		// Department handlers' scope is by category: the store filtered by
		// area only.
		if civicgrid.Authorize(actor, civicgrid.ActionReadCase, c.Object()) != nil {
			continue
		}
		out = append(out, s.view(ctx, actor, c))
	}
	return out
}
