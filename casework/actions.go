package casework

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
)

// Step is what a person sends with an action on a case; each action reads
// the fields it needs.
type Step struct {
	Note       string   `json:"note"`
	Reason     string   `json:"reason"`      // reject (from the list), return, suspend, cancel, rework
	AssigneeID int64    `json:"assignee_id"` // dispatch to a person
	Dept       string   `json:"dept"`        // dispatch to a department
	Into       int64    `json:"into"`        // merge into this case
	Category   string   `json:"category"`    // reclassify into this category
	Rating     int      `json:"rating"`      // 1–5
	ExtendBy   string   `json:"extend_by"`   // request_extension: a limit such as "2wd"
	Photos     []string `json:"photos"`      // evidence
	// Version, when set, must be the case's current version: a stale
	// screen cannot overwrite a newer change.
	Version int `json:"version"`
}

// Act takes an action on a case for actor. The state machine, the policy and
// the action's own rules are checked before anything is written.
func (s *Service) Act(ctx context.Context, actor civicgrid.Actor, id int64, action civicgrid.CaseAction, st Step) (civicgrid.Case, error) {
	c, err := s.store.CaseByID(ctx, id)
	if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
		err = notInSight(id)
	}
	if err != nil {
		return civicgrid.Case{}, err
	}
	if action == civicgrid.CaseMeToo {
		// "Me too" is open to anyone who was offered the case as a likely
		// duplicate, though they may not read it.
		ev, err := s.checkAction(ctx, actor, c, action, st)
		if err != nil {
			return c, err
		}
		return s.meToo(ctx, actor, c, ev)
	}
	cs, evs, err := s.prepare(ctx, actor, c, action, st)
	if err != nil {
		return civicgrid.Case{}, err
	}
	stored, err := s.store.UpdateCases(ctx, cs, evs)
	if err != nil {
		return c, err
	}
	for i := range stored {
		s.publish(stored[i], evs[i])
	}
	return stored[0], nil
}

// ActMany takes the same action on several cases for actor, each checked as
// Act checks it, and stores them all in one transaction (nothing is written
// if one is refused): bulk work such as rejecting a batch of reports.
func (s *Service) ActMany(ctx context.Context, actor civicgrid.Actor, ids []int64, action civicgrid.CaseAction, st Step) ([]civicgrid.Case, error) {
	if action == civicgrid.CaseMeToo || st.Version != 0 || action == civicgrid.CaseMerge {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "%s is taken one case at a time", action)
	}
	if len(ids) > 1000 {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "ids: at most 1,000 cases at once")
	}
	found, err := s.store.ListCases(ctx, civicgrid.CaseFilter{All: true, IDs: ids, Limit: len(ids)})
	if err != nil {
		return nil, err
	}
	if len(found) != len(ids) {
		// Worded as for a case out of sight: ids reveal nothing.
		return nil, civicgrid.Errorf(civicgrid.ENOTFOUND, "ids: %d of the %d cases are not in your scope or are named twice", len(ids)-len(found), len(ids))
	}
	var cs []civicgrid.Case
	var evs []civicgrid.CaseEvent
	for _, c := range found {
		more, moreEvs, err := s.prepare(ctx, actor, c, action, st)
		if err != nil {
			return nil, err
		}
		cs, evs = append(cs, more...), append(evs, moreEvs...)
	}
	stored, err := s.store.UpdateCases(ctx, cs, evs)
	if err != nil {
		return nil, err
	}
	for i := range stored {
		s.publish(stored[i], evs[i])
	}
	return stored, nil
}

// checkAction checks that actor may take action on c now and returns its
// event.
func (s *Service) checkAction(ctx context.Context, actor civicgrid.Actor, c civicgrid.Case, action civicgrid.CaseAction, st Step) (civicgrid.CaseEvent, error) {
	return s.checkActionWith(ctx, actor, c, action, st, s.store.CaseEvents)
}

func (s *Service) checkActionWith(ctx context.Context, actor civicgrid.Actor, c civicgrid.Case, action civicgrid.CaseAction, st Step,
	history func(context.Context, int64) ([]civicgrid.CaseEvent, error)) (civicgrid.CaseEvent, error) {
	// Whoever may not even read the case learns nothing about it.
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadCase, c.Object()); err != nil && action != civicgrid.CaseMeToo {
		if civicgrid.ErrorCode(err) == civicgrid.EFORBIDDEN {
			return civicgrid.CaseEvent{}, notInSight(c.ID)
		}
		return civicgrid.CaseEvent{}, err
	}
	if st.Version != 0 && st.Version != c.Version {
		return civicgrid.CaseEvent{}, civicgrid.Errorf(civicgrid.ECONFLICT, "case %d is at version %d, not %d: someone changed it; reload", c.ID, c.Version, st.Version)
	}
	t, to, err := civicgrid.Step(c.Status, c.Pending, c.PrevStatus, action)
	if err != nil {
		return civicgrid.CaseEvent{}, err
	}
	obj, err := s.objectFor(ctx, c, t.Permission, history)
	if err != nil {
		return civicgrid.CaseEvent{}, err
	}
	if err := civicgrid.Authorize(actor, t.Permission, obj); err != nil {
		return civicgrid.CaseEvent{}, err
	}
	if err := s.checkStep(st); err != nil {
		return civicgrid.CaseEvent{}, err
	}
	return civicgrid.CaseEvent{At: s.now(), ActorID: actor.UserID, Actor: actorLabel(actor), Action: action, From: c.Status, To: to,
		Note: strings.TrimSpace(st.Note), Attachments: st.Photos, Data: map[string]string{}}, nil
}

// prepare checks an action on c and returns the cases it changes (c first)
// with their events, ready to store.
func (s *Service) prepare(ctx context.Context, actor civicgrid.Actor, c civicgrid.Case, action civicgrid.CaseAction, st Step) ([]civicgrid.Case, []civicgrid.CaseEvent, error) {
	return s.prepareWith(ctx, actor, c, action, st, s.store.CaseEvents)
}

// prepareWith is prepare reading a case's history with history (a batch
// adds the steps it has not stored yet).
func (s *Service) prepareWith(ctx context.Context, actor civicgrid.Actor, c civicgrid.Case, action civicgrid.CaseAction, st Step,
	history func(context.Context, int64) ([]civicgrid.CaseEvent, error)) ([]civicgrid.Case, []civicgrid.CaseEvent, error) {
	ev, err := s.checkActionWith(ctx, actor, c, action, st, history)
	if err != nil {
		return nil, nil, err
	}
	t, _ := civicgrid.LookupTransition(action)
	now := ev.At
	next := c
	next.Status = ev.To
	next.UpdatedAt = now
	extra := []civicgrid.Case{}
	extraEv := []civicgrid.CaseEvent{}
	if err := s.apply(ctx, actor, &next, &ev, st, now, &extra, &extraEv); err != nil {
		return nil, nil, err
	}
	if t.Opens != "" {
		next.Pending = t.Opens
	} else if t.Needs != "" {
		next.Pending, next.PendingDetail = civicgrid.PendingNone, ""
	}
	next.NextDeadline = s.nextDeadline(next)
	var past []civicgrid.CaseEvent
	if action == civicgrid.CaseClose && next.Reopens == 0 {
		// Whether an escalation already made the fix due.
		if past, err = history(ctx, c.ID); err != nil {
			return nil, nil, err
		}
	}
	markForIndicators(c, next, &ev, past)
	return append([]civicgrid.Case{next}, extra...), append([]civicgrid.CaseEvent{ev}, extraEv...), nil
}

// markForIndicators records in the event what the indicators count: a first
// response and whether it was in time, a first registration, a first close
// and whether the fix came by the deadline, and whether the event makes the
// response or the fix due (unless an escalation for the missed limit did,
// found in a waiting case's escalation level and in the history of a case
// being closed).
func markForIndicators(before, after civicgrid.Case, ev *civicgrid.CaseEvent, history []civicgrid.CaseEvent) {
	if before.RespondedAt.IsZero() && !after.RespondedAt.IsZero() {
		ev.Data[civicgrid.DataFirstResponse] = "late"
		if !after.RespondedAt.After(after.RespondBy) {
			ev.Data[civicgrid.DataFirstResponse] = "on_time"
		}
		// A case waiting for its response is escalated only for missing it.
		ev.Data[civicgrid.DataRespondDue] = map[bool]string{true: "1", false: "0"}[before.Escalation == 0]
	}
	if before.Status == civicgrid.StatusReported && (ev.Action == civicgrid.CaseRegister || ev.Action == civicgrid.CaseSelfHandle) {
		ev.Data[civicgrid.DataRegistered] = "1"
	}
	if ev.Action == civicgrid.CaseClose && after.Reopens == 0 {
		ev.Data[civicgrid.DataFirstClose] = "1"
		onTime := after.ResolveBy.IsZero() || !after.HandledAt.After(after.ResolveBy)
		ev.Data[civicgrid.DataOnTime] = map[bool]string{true: "1", false: "0"}[onTime]
		ev.Data[civicgrid.DataCloseMillis] = strconv.FormatInt(after.ClosedAt.Sub(after.CreatedAt).Milliseconds(), 10)
		ev.Data[civicgrid.DataResolveDue] = map[bool]string{true: "0", false: "1"}[civicgrid.ResolveDueCounted(history)]
	}
}

// objectFor is the case as the target of an action, with its history when
// the separation of duties needs it.
func (s *Service) objectFor(ctx context.Context, c civicgrid.Case, action civicgrid.Action,
	history func(context.Context, int64) ([]civicgrid.CaseEvent, error)) (civicgrid.Object, error) {
	obj := c.Object()
	if !civicgrid.NeedsHistory(action) {
		return obj, nil
	}
	evs, err := history(ctx, c.ID)
	if err != nil {
		return obj, err
	}
	obj.Done = civicgrid.StepsDone(evs)
	return obj, nil
}

func (s *Service) checkStep(st Step) error {
	for name, v := range map[string]string{"note": st.Note, "reason": st.Reason} {
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > s.cfg.MaxNote {
			return civicgrid.Errorf(civicgrid.EINVALID, "%s: at most %d characters of valid text", name, s.cfg.MaxNote)
		}
	}
	if len(st.Photos) > 9 {
		return civicgrid.Errorf(civicgrid.EINVALID, "photos: at most 9")
	}
	for _, p := range st.Photos {
		if msg := s.photoProblem(p); msg != "" {
			return civicgrid.Errorf(civicgrid.EINVALID, "photos: %s", msg)
		}
	}
	return nil
}

func need(cond bool, format string, args ...any) error {
	if cond {
		return nil
	}
	return civicgrid.Errorf(civicgrid.EINVALID, format, args...)
}

// apply makes the action's own changes to c and ev. Extra cases (a merge
// target) are appended to extra with their events.
func (s *Service) apply(ctx context.Context, actor civicgrid.Actor, c *civicgrid.Case, ev *civicgrid.CaseEvent, st Step, now time.Time,
	extra *[]civicgrid.Case, extraEv *[]civicgrid.CaseEvent) error {
	reason := strings.TrimSpace(st.Reason)
	switch ev.Action {
	case civicgrid.CaseRegister:
		c.RespondedAt = now
	case civicgrid.CaseReject:
		if !slices.Contains(s.cfg.RejectReasons, reason) {
			return civicgrid.Errorf(civicgrid.EINVALID, "reason: one of %s", strings.Join(s.cfg.RejectReasons, ", "))
		}
		ev.Data["reason"] = reason
		c.RespondedAt = now
	case civicgrid.CaseMerge:
		if st.Into == 0 || st.Into == c.ID {
			return civicgrid.Errorf(civicgrid.EINVALID, "into: the id of the case to keep (not this one)")
		}
		kept, err := s.visibleCase(ctx, actor, st.Into)
		if err != nil {
			return err
		}
		if !kept.Status.Open() {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "case %d is %s; merge into an open case", kept.ID, kept.Status)
		}
		if err := civicgrid.Authorize(actor, civicgrid.ActionTriageCase, kept.Object()); err != nil {
			return err
		}
		c.MergedInto = kept.ID
		if c.RespondedAt.IsZero() {
			c.RespondedAt = now
		}
		ev.Data["into"] = strconv.FormatInt(kept.ID, 10)
		kept.MeToo += 1 + c.MeToo
		kept.UpdatedAt = now
		*extra = append(*extra, kept)
		*extraEv = append(*extraEv, civicgrid.CaseEvent{At: now, ActorID: actor.UserID, Actor: ev.Actor, Action: civicgrid.CaseMergedIn,
			From: kept.Status, To: kept.Status, Data: map[string]string{"merged": strconv.FormatInt(c.ID, 10)}})
	case civicgrid.CaseReclassify:
		if err := s.reclassify(ctx, c, ev, st.Category, reason); err != nil {
			return err
		}
	case civicgrid.CaseDispatch:
		if err := s.dispatchTarget(ctx, c, st); err != nil {
			return err
		}
		if c.AssigneeID != 0 {
			ev.Data["assignee_id"] = strconv.FormatInt(c.AssigneeID, 10)
		} else {
			ev.Data["dept"] = c.AssigneeDept
		}
		c.DispatchedAt = now
		c.Escalation = 0
		if c.ResolveBy.IsZero() {
			cat, err := s.category(ctx, c.Category)
			if err != nil {
				return err
			}
			if c.ResolveBy, err = s.calendar.Deadline(now, cat.ResolveWithin); err != nil {
				return err
			}
		}
		ev.Data["resolve_by"] = c.ResolveBy.UTC().Format(time.RFC3339)
	case civicgrid.CaseAccept:
	case civicgrid.CaseReturn:
		if reason == "" {
			return civicgrid.Errorf(civicgrid.EINVALID, "reason: say why the case goes back to the dispatcher")
		}
		ev.Data["reason"] = reason
		c.AssigneeID, c.AssigneeDept = 0, ""
	case civicgrid.CaseHandle, civicgrid.CaseSelfHandle:
		if err := need(ev.Note != "" && len(st.Photos) > 0, "a handled case needs a note and at least one evidence photo"); err != nil {
			return err
		}
		c.HandledAt = now
		if ev.Action == civicgrid.CaseSelfHandle {
			c.SelfHandled = true
			c.AssigneeID, c.AssigneeDept = actor.UserID, ""
			if c.RespondedAt.IsZero() {
				c.RespondedAt = now
			}
			c.DispatchedAt = now
		}
		// A pending request about time is moot once the work is done.
		if c.Pending == civicgrid.PendingExtension || c.Pending == civicgrid.PendingSuspension {
			c.Pending, c.PendingDetail = civicgrid.PendingNone, ""
		}
	case civicgrid.CaseRework:
		if reason == "" {
			return civicgrid.Errorf(civicgrid.EINVALID, "reason: say what is still wrong")
		}
		ev.Data["reason"] = reason
		c.Reworks++
		c.HandledAt = time.Time{}
	case civicgrid.CaseClose:
		c.ClosedAt = now
	case civicgrid.CaseRate:
		// There is no default: a rating nobody chose would count as the
		// reporter's opinion in the satisfaction rate.
		if st.Rating == 0 {
			return civicgrid.Errorf(civicgrid.EINVALID, "rating: choose how satisfied you are, from 1 (very dissatisfied) to 5 (very satisfied); none was given")
		}
		if st.Rating < 1 || st.Rating > 5 {
			return civicgrid.Errorf(civicgrid.EINVALID, "rating: %d is not a rating; choose from 1 (very dissatisfied) to 5 (very satisfied)", st.Rating)
		}
		c.Rating, c.RatingNote = st.Rating, ev.Note
		ev.Data["rating"] = strconv.Itoa(st.Rating)
	case civicgrid.CaseReopen:
		if now.Sub(c.ClosedAt) > s.cfg.ReopenWindow {
			return civicgrid.Errorf(civicgrid.ECONFLICT, "case %d was closed on %s; it can be reopened only within %s of closing — report it again",
				c.ID, c.ClosedAt.Format("2006-01-02"), s.cfg.ReopenWindow)
		}
		if err := need(ev.Note != "" || reason != "", "say why the problem is not solved"); err != nil {
			return err
		}
		c.Reopens++
		c.ClosedAt, c.HandledAt, c.DispatchedAt, c.ResolveBy = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		c.AssigneeID, c.AssigneeDept, c.Rating, c.RatingNote, c.Escalation = 0, "", 0, "", 0
	case civicgrid.CaseRequestExtension:
		if err := s.calendar.CheckLimit(st.ExtendBy); err != nil {
			return civicgrid.Errorf(civicgrid.EINVALID, "extend_by: %v", err)
		}
		if reason == "" {
			return civicgrid.Errorf(civicgrid.EINVALID, "reason: say why more time is needed")
		}
		c.PendingDetail = st.ExtendBy
		ev.Data["extend_by"], ev.Data["reason"] = st.ExtendBy, reason
	case civicgrid.CaseApproveExtension:
		due, err := s.calendar.Deadline(c.ResolveBy, c.PendingDetail)
		if err != nil {
			return err
		}
		ev.Data["extend_by"] = c.PendingDetail
		ev.Data["resolve_by"] = due.UTC().Format(time.RFC3339)
		c.ResolveBy = due
		c.Extensions++
	case civicgrid.CaseRequestSuspend, civicgrid.CaseRequestCancel:
		if reason == "" {
			return civicgrid.Errorf(civicgrid.EINVALID, "reason: say why")
		}
		ev.Data["reason"] = reason
	case civicgrid.CaseApproveSuspend:
		c.PrevStatus = ev.From
		c.SuspendedAt = now
	case civicgrid.CaseResume:
		// The clock stood still while suspended.
		if !c.ResolveBy.IsZero() {
			c.ResolveBy = c.ResolveBy.Add(now.Sub(c.SuspendedAt))
			ev.Data["resolve_by"] = c.ResolveBy.UTC().Format(time.RFC3339)
		}
		c.PrevStatus, c.SuspendedAt = "", time.Time{}
	case civicgrid.CaseApproveCancel:
		c.ClosedAt = time.Time{}
	case civicgrid.CaseComment:
		if ev.Note == "" {
			return civicgrid.Errorf(civicgrid.EINVALID, "note: write the comment")
		}
	}
	return nil
}

// reclassify puts c in another category. Its clocks follow the new
// category's limits: the response deadline is counted again from the
// report, and a resolution deadline already running (a case returned to the
// dispatcher) moves by the difference between the two categories' limits,
// so approved extensions and suspensions keep their time.
func (s *Service) reclassify(ctx context.Context, c *civicgrid.Case, ev *civicgrid.CaseEvent, code, reason string) error {
	code = strings.TrimSpace(code)
	switch {
	case code == "":
		return civicgrid.Errorf(civicgrid.EINVALID, "category: the code of the new category")
	case code == c.Category:
		return civicgrid.Errorf(civicgrid.EINVALID, "category: case %d is already in %s; choose another category", c.ID, code)
	case reason == "":
		return civicgrid.Errorf(civicgrid.EINVALID, "reason: say why the category is changed")
	}
	from, _ := s.category(ctx, c.Category) // a category since retired still has its limits
	to, err := s.category(ctx, code)
	if err != nil {
		return civicgrid.Errorf(civicgrid.EINVALID, "category: %s", civicgrid.ErrorMessage(err))
	}
	if c.RespondBy, err = s.calendar.Deadline(c.CreatedAt, to.RespondWithin); err != nil {
		return err
	}
	ev.Data["respond_by"] = c.RespondBy.UTC().Format(time.RFC3339)
	if !c.ResolveBy.IsZero() && !c.DispatchedAt.IsZero() {
		was, err := s.calendar.Deadline(c.DispatchedAt, from.ResolveWithin)
		if err != nil {
			was = c.ResolveBy // no limit known for the old category: count from the new limit
		}
		now, err := s.calendar.Deadline(c.DispatchedAt, to.ResolveWithin)
		if err != nil {
			return err
		}
		c.ResolveBy = c.ResolveBy.Add(now.Sub(was))
		ev.Data["resolve_by"] = c.ResolveBy.UTC().Format(time.RFC3339)
	}
	ev.Data[civicgrid.DataFromCategory], ev.Data[civicgrid.DataCategory], ev.Data["reason"] = c.Category, to.Code, reason
	c.Category = to.Code
	return nil
}

// dispatchTarget sets the assignee: the person or department named, else
// the category's department, else the grid's first worker who can log in.
func (s *Service) dispatchTarget(ctx context.Context, c *civicgrid.Case, st Step) error {
	switch {
	case st.AssigneeID != 0 && st.Dept != "":
		return civicgrid.Errorf(civicgrid.EINVALID, "dispatch to a person (assignee_id) or a department (dept), not both")
	case st.AssigneeID != 0:
		u, err := s.people.UserByID(ctx, st.AssigneeID)
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			return civicgrid.Errorf(civicgrid.EINVALID, "assignee_id: no user %d", st.AssigneeID)
		} else if err != nil {
			return err
		}
		if !canWork(u, *c) {
			return civicgrid.Errorf(civicgrid.EINVALID, "assignee_id: user %d holds no role that works cases in grid %s", u.ID, c.GridCode)
		}
		if !u.CanLogIn() {
			return civicgrid.Errorf(civicgrid.EINVALID, "assignee_id: user %d cannot log in (no password or linked login), so could never accept the case; give them a login first or send it to someone else", u.ID)
		}
		c.AssigneeID, c.AssigneeDept = u.ID, ""
		return nil
	case st.Dept != "":
		if utf8.RuneCountInString(st.Dept) > 40 {
			return civicgrid.Errorf(civicgrid.EINVALID, "dept: at most 40 characters")
		}
		c.AssigneeID, c.AssigneeDept = 0, strings.TrimSpace(st.Dept)
		return nil
	}
	cat, err := s.category(ctx, c.Category)
	if err != nil {
		return err
	}
	if cat.DefaultDept != "" {
		c.AssigneeID, c.AssigneeDept = 0, cat.DefaultDept
		return nil
	}
	// Only someone who can log in can accept the case: grid workers listed
	// in an area import have no login until an admin gives them one.
	workers, err := s.people.ListUsers(ctx, civicgrid.UserFilter{Within: []string{c.GridCode}, Role: civicgrid.RoleGridWorker, CanLogIn: true, Limit: 1})
	if err != nil {
		return err
	}
	if len(workers) == 0 {
		return civicgrid.Errorf(civicgrid.EINVALID, "grid %s has no grid worker who can log in; name an assignee_id or a dept", c.GridCode)
	}
	c.AssigneeID, c.AssigneeDept = workers[0].ID, ""
	return nil
}

// canWork reports whether u holds a role that takes dispatched cases in the
// case's grid.
func canWork(u civicgrid.User, c civicgrid.Case) bool {
	_, ok := workingGrant(u, c)
	return ok
}

// workingGrant is the grant with which u takes dispatched cases in the
// case's grid.
func workingGrant(u civicgrid.User, c civicgrid.Case) (civicgrid.RoleGrant, bool) {
	for _, g := range u.Grants {
		switch g.Role {
		case civicgrid.RoleGridWorker, civicgrid.RoleCommunityStaff, civicgrid.RoleStreetDispatcher:
			if g.Covers(c.GridCode) {
				return g, true
			}
		case civicgrid.RoleDepartmentHandler:
			if g.Covers(c.GridCode) && slices.Contains(g.Categories, c.Category) {
				return g, true
			}
		}
	}
	return civicgrid.RoleGrant{}, false
}

// meToo counts another person reporting the same problem, once per person.
func (s *Service) meToo(ctx context.Context, actor civicgrid.Actor, c civicgrid.Case, ev civicgrid.CaseEvent) (civicgrid.Case, error) {
	if actor.UserID == 0 {
		return c, civicgrid.Errorf(civicgrid.EFORBIDDEN, "log in as a person to say \"me too\"")
	}
	c.UpdatedAt = ev.At
	stored, added, err := s.store.AddSupporter(ctx, c, actor.UserID, ev)
	if err != nil {
		return c, err
	}
	if added {
		s.publish(stored, ev)
	}
	return stored.Public(), nil
}
