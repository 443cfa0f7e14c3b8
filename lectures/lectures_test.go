package lectures_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/lectures"
	"github.com/civicgrid/civicgrid/search"
	"github.com/civicgrid/civicgrid/sqlstore"
)

const (
	community = "420102001001"
	building  = "4201020010010010001" // at (114.300, 30.550)
	away      = "420103001001"
)

type registry map[string]orb.Geometry

func (r registry) AreaByCode(_ context.Context, code string) (civicgrid.Area, error) {
	g, ok := r[code]
	if !ok {
		return civicgrid.Area{}, civicgrid.Errorf(civicgrid.ENOTFOUND, "no area %s", code)
	}
	return civicgrid.Area{Code: code, Level: civicgrid.LevelOfCode(code), Geometry: g}, nil
}

type env struct {
	t     *testing.T
	db    *sqlstore.DB
	svc   *lectures.Service
	now   time.Time
	n     int
	staff civicgrid.Actor
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, db: testdb.Open(t, t.TempDir()), now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))}
	e.svc = lectures.New(lectures.Config{CheckInRadiusM: 200, Now: func() time.Time { return e.now }}, e.db,
		registry{community: nil, away: nil, building: orb.Point{114.300, 30.550}})
	e.staff = e.person(civicgrid.RoleCommunityStaff, community)
	return e
}

func (e *env) person(role, area string) civicgrid.Actor {
	e.t.Helper()
	e.n++
	return testdb.Person(e.t, e.db, e.n, role, area)
}

func (e *env) resident() civicgrid.Actor { return e.person(civicgrid.RoleResident, building) }

// post posts a lecture in the community tomorrow at 10:00.
func (e *env) post(capacity int, building string) civicgrid.Lecture {
	e.t.Helper()
	l, err := e.svc.Post(context.Background(), e.staff, civicgrid.LectureInput{Title: "反诈骗宣讲", Speakers: "社区宣讲团", AreaCode: community,
		Place: "社区党群服务中心", BuildingCode: building, StartsAt: e.now.Add(24 * time.Hour), Capacity: capacity})
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

func code(err error) string { return civicgrid.ErrorCode(err) }

func TestPostRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for name, in := range map[string]civicgrid.LectureInput{
		"no title":       {AreaCode: community, Place: "x", StartsAt: e.now.Add(time.Hour), Capacity: 10},
		"in the past":    {Title: "t", AreaCode: community, Place: "x", StartsAt: e.now.Add(-time.Hour), Capacity: 10},
		"no place":       {Title: "t", AreaCode: community, StartsAt: e.now.Add(time.Hour), Capacity: 10},
		"http online":    {Title: "t", AreaCode: community, OnlineURL: "http://meet.example.org/1", StartsAt: e.now.Add(time.Hour), Capacity: 10},
		"no capacity":    {Title: "t", AreaCode: community, Place: "x", StartsAt: e.now.Add(time.Hour)},
		"ends first":     {Title: "t", AreaCode: community, Place: "x", StartsAt: e.now.Add(2 * time.Hour), EndsAt: e.now.Add(time.Hour), Capacity: 10},
		"building scope": {Title: "t", AreaCode: building, Place: "x", StartsAt: e.now.Add(time.Hour), Capacity: 10},
		"odd audience":   {Title: "t", AreaCode: community, Place: "x", StartsAt: e.now.Add(time.Hour), Capacity: 10, Audience: "cats"},
	} {
		if _, err := e.svc.Post(ctx, e.staff, in); code(err) != civicgrid.EINVALID {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	// Outside the sender's scope, or by someone who does not run lectures.
	in := civicgrid.LectureInput{Title: "t", AreaCode: away, Place: "x", StartsAt: e.now.Add(time.Hour), Capacity: 10}
	if _, err := e.svc.Post(ctx, e.staff, in); code(err) != civicgrid.EFORBIDDEN {
		t.Errorf("another district's lecture: %v", err)
	}
	in.AreaCode = community
	if _, err := e.svc.Post(ctx, e.resident(), in); code(err) != civicgrid.EFORBIDDEN {
		t.Errorf("a resident posted: %v", err)
	}
	if ls, _ := e.svc.Upcoming(ctx, e.staff); len(ls) != 0 {
		t.Errorf("refused posts stored %d lectures", len(ls))
	}
}

// Beyond capacity people wait in order; a cancelled seat goes to the first
// waiting, never over capacity.
func TestWaitingListMovesUp(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	l := e.post(2, "")
	var people []civicgrid.Actor
	for i := 0; i < 4; i++ {
		people = append(people, e.resident())
	}
	var states []civicgrid.SignupState
	for _, p := range people {
		su, err := e.svc.SignUp(ctx, p, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, su.State)
		if su.State == civicgrid.SignupWaiting && su.Place != len(states)-2 {
			t.Errorf("sign-up %d waits at place %d", len(states), su.Place)
		}
	}
	if states[0] != civicgrid.SignupConfirmed || states[1] != civicgrid.SignupConfirmed || states[2] != civicgrid.SignupWaiting || states[3] != civicgrid.SignupWaiting {
		t.Fatalf("states %v", states)
	}
	if _, err := e.svc.SignUp(ctx, people[0], l.ID); code(err) != civicgrid.ECONFLICT {
		t.Errorf("signing up twice: %v", err)
	}
	// A waiting person leaving moves nobody up; a seated one does.
	if err := e.svc.CancelSignup(ctx, people[3], l.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CancelSignup(ctx, people[0], l.ID); err != nil {
		t.Fatal(err)
	}
	if su, _ := e.svc.MySignup(ctx, people[2], l.ID); su.State != civicgrid.SignupConfirmed {
		t.Errorf("the first waiting did not take the seat: %s", su.State)
	}
	// The one who moved up is told, once, with the lecture's title.
	drafts, cursor, err := e.svc.NotifySource().Read(ctx, 0, 100)
	if err != nil || len(drafts) != 1 || drafts[0].UserID != people[2].UserID || drafts[0].Kind != "lecture.moved_up" || drafts[0].Args[1] != l.Title {
		t.Errorf("notices after moving up: %+v %v", drafts, err)
	}
	got, _ := e.svc.Lecture(ctx, e.staff, l.ID)
	if got.Confirmed != 2 || got.Waiting != 0 {
		t.Errorf("counts %d confirmed %d waiting, want 2 and 0", got.Confirmed, got.Waiting)
	}
	// The one who left may come back, at the end of the queue.
	if su, err := e.svc.SignUp(ctx, people[0], l.ID); err != nil || su.State != civicgrid.SignupWaiting || su.Place != 1 {
		t.Errorf("back: %+v %v", su, err)
	}
	// A seat freed with nobody waiting is free again.
	if err := e.svc.CancelSignup(ctx, people[1], l.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CancelSignup(ctx, people[2], l.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = e.svc.Lecture(ctx, e.staff, l.ID)
	if got.Confirmed != 1 || got.Waiting != 0 {
		t.Errorf("after two leave: %d confirmed, %d waiting; want 1 and 0", got.Confirmed, got.Waiting)
	}
	// Cancelling the lecture tells everyone still signed up, seated or waiting.
	if err := e.svc.Cancel(ctx, e.staff, l.ID); err != nil {
		t.Fatal(err)
	}
	drafts, _, err = e.svc.NotifySource().Read(ctx, cursor, 100)
	// people[0], back on the list, moved up when people[1] left; then the
	// lecture was cancelled under them.
	if err != nil || len(drafts) != 2 || drafts[0].UserID != people[0].UserID || drafts[0].Kind != "lecture.moved_up" ||
		drafts[1].UserID != people[0].UserID || drafts[1].Kind != "lecture.cancelled" {
		t.Errorf("notices after cancelling: %+v %v", drafts, err)
	}
	if err := e.svc.Cancel(ctx, e.staff, l.ID); code(err) != civicgrid.ECONFLICT {
		t.Errorf("cancelling twice: %v", err)
	}
}

// Many signing up at once for few seats: exactly capacity get one.
func TestSeatsUnderRace(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	l := e.post(3, "")
	var people []civicgrid.Actor
	for i := 0; i < 12; i++ {
		people = append(people, e.resident())
	}
	var wg sync.WaitGroup
	for _, p := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.svc.SignUp(ctx, p, l.ID); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := e.svc.Lecture(ctx, e.staff, l.ID)
	if got.Confirmed != 3 || got.Waiting != 9 {
		t.Errorf("%d confirmed, %d waiting; want 3 and 9", got.Confirmed, got.Waiting)
	}
}

func TestCheckInRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	l := e.post(1, "")
	other := e.post(5, "")
	seated, waiting := e.resident(), e.resident()
	st := must(e.svc.SignUp(ctx, seated, l.ID))
	wt := must(e.svc.SignUp(ctx, waiting, l.ID))
	ot := must(e.svc.SignUp(ctx, waiting, other.ID))
	if _, err := e.svc.CheckIn(ctx, e.staff, l.ID, st.Ticket); code(err) != civicgrid.ECONFLICT {
		t.Errorf("a day early: %v", err)
	}
	e.now = l.StartsAt.Add(-30 * time.Minute)
	if _, err := e.svc.CheckIn(ctx, e.staff, l.ID, wt.Ticket); code(err) != civicgrid.ECONFLICT {
		t.Errorf("a waiting ticket: %v", err)
	}
	if _, err := e.svc.CheckIn(ctx, e.staff, l.ID, ot.Ticket); code(err) != civicgrid.EINVALID {
		t.Errorf("another lecture's ticket: %v", err)
	}
	if _, err := e.svc.CheckIn(ctx, e.staff, l.ID, "NOSUCHCODE"); code(err) != civicgrid.EINVALID {
		t.Errorf("an unknown ticket: %v", err)
	}
	if _, err := e.svc.CheckIn(ctx, e.resident(), l.ID, st.Ticket); code(err) != civicgrid.EFORBIDDEN {
		t.Errorf("a resident checking people in: %v", err)
	}
	// Typed by hand in lower case with spaces: still the ticket.
	typed := " " + st.Ticket[:4] + " " + st.Ticket[4:] + " "
	su, err := e.svc.CheckIn(ctx, e.staff, l.ID, typed)
	if err != nil || su.CheckedInAt.IsZero() {
		t.Fatalf("check-in: %+v %v", su, err)
	}
	if _, err := e.svc.CheckIn(ctx, e.staff, l.ID, st.Ticket); code(err) != civicgrid.ECONFLICT {
		t.Errorf("twice: %v", err)
	}
	if got, _ := e.svc.Lecture(ctx, e.staff, l.ID); got.Attended != 1 {
		t.Errorf("attended %d, want 1", got.Attended)
	}
	// Feedback: the attendee once; not the one who did not attend.
	if err := e.svc.Feedback(ctx, waiting, l.ID, 5, ""); code(err) != civicgrid.ECONFLICT {
		t.Errorf("feedback without attending: %v", err)
	}
	if err := e.svc.Feedback(ctx, seated, l.ID, 9, ""); code(err) != civicgrid.EINVALID {
		t.Errorf("rating 9: %v", err)
	}
	if err := e.svc.Feedback(ctx, seated, l.ID, 4, "很实用"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Feedback(ctx, seated, l.ID, 5, "again"); code(err) != civicgrid.ECONFLICT {
		t.Errorf("feedback twice: %v", err)
	}
	if err := e.svc.CancelSignup(ctx, seated, l.ID); code(err) != civicgrid.ECONFLICT {
		t.Errorf("cancelling after attending: %v", err)
	}
	e.now = l.EndsAt.Add(time.Minute)
	if _, err := e.svc.CheckIn(ctx, e.staff, other.ID, ot.Ticket); code(err) != civicgrid.ECONFLICT {
		t.Errorf("after the end: %v", err)
	}
}

// Self check-in: the door's code, at the place.
func TestSelfCheckIn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	l := e.post(10, building)
	if l.CheckInCode == "" {
		t.Fatal("staff do not see the door code")
	}
	p := e.resident()
	if got, _ := e.svc.Lecture(ctx, p, l.ID); got.CheckInCode != "" {
		t.Error("a resident sees the door code")
	}
	must(e.svc.SignUp(ctx, p, l.ID))
	e.now = l.StartsAt.Add(-10 * time.Minute)
	lat, lng := 30.550, 114.300
	farLat := 30.560 // about 1.1 km north
	if _, err := e.svc.SelfCheckIn(ctx, p, l.ID, "WRONGCODE", &lat, &lng); code(err) != civicgrid.EINVALID {
		t.Errorf("a wrong code: %v", err)
	}
	if _, err := e.svc.SelfCheckIn(ctx, p, l.ID, l.CheckInCode, nil, nil); code(err) != civicgrid.EINVALID {
		t.Errorf("no location: %v", err)
	}
	if _, err := e.svc.SelfCheckIn(ctx, p, l.ID, l.CheckInCode, &farLat, &lng); code(err) != civicgrid.EINVALID {
		t.Errorf("1 km away: %v", err)
	}
	if _, err := e.svc.SelfCheckIn(ctx, e.resident(), l.ID, l.CheckInCode, &lat, &lng); code(err) != civicgrid.ENOTFOUND {
		t.Errorf("not signed up: %v", err)
	}
	if su, err := e.svc.SelfCheckIn(ctx, p, l.ID, l.CheckInCode, &lat, &lng); err != nil || su.CheckedInBy != "self" {
		t.Fatalf("at the door: %+v %v", su, err)
	}
	if _, err := e.svc.SelfCheckIn(ctx, p, l.ID, l.CheckInCode, &lat, &lng); code(err) != civicgrid.ECONFLICT {
		t.Errorf("twice: %v", err)
	}
}

// Who sees what: a resident of the community sees its lectures, one of
// another district does not; the calendar shows scheduled ones only.
func TestScopeAndCalendar(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	l := e.post(10, "")
	gone := e.post(10, "")
	if err := e.svc.Cancel(ctx, e.staff, gone.ID); err != nil {
		t.Fatal(err)
	}
	stranger := e.person(civicgrid.RoleResident, "4201030010010010001")
	if _, err := e.svc.Lecture(ctx, stranger, l.ID); code(err) != civicgrid.ENOTFOUND {
		t.Errorf("another district's resident reads it: %v", err)
	}
	if _, err := e.svc.SignUp(ctx, stranger, l.ID); code(err) != civicgrid.ENOTFOUND {
		t.Errorf("another district's resident signs up: %v", err)
	}
	if ls, _ := e.svc.Upcoming(ctx, stranger); len(ls) != 0 {
		t.Errorf("another district's resident lists %d", len(ls))
	}
	if ls, _ := e.svc.Upcoming(ctx, e.resident()); len(ls) != 2 {
		t.Errorf("a resident of the community lists %d, want 2", len(ls))
	}
	cal, err := e.svc.Calendar(ctx, building)
	if err != nil || len(cal) != 1 || cal[0].ID != l.ID || cal[0].CheckInCode != "" {
		t.Errorf("calendar of the building: %+v %v", cal, err)
	}
	if _, err := e.svc.Calendar(ctx, "nonsense"); code(err) != civicgrid.EINVALID {
		t.Errorf("calendar of nonsense: %v", err)
	}
	if _, err := e.svc.SignUp(ctx, e.resident(), gone.ID); code(err) != civicgrid.ECONFLICT {
		t.Errorf("signing up for a cancelled lecture: %v", err)
	}
	// Counts per scope and month: the cancelled lecture is not counted.
	// A lecture without sign-ups counts as a lecture with none; a checked-in
	// attendee counts as attended (one query joining the sign-ups).
	p := e.resident()
	must(e.svc.SignUp(ctx, p, l.ID))
	ticket := must(e.svc.SignUp(ctx, e.resident(), l.ID)).Ticket
	e.post(10, "")
	e.now = l.StartsAt.Add(-30 * time.Minute)
	must(e.svc.CheckIn(ctx, e.staff, l.ID, ticket))
	st, err := e.svc.Stats(ctx, e.staff, community, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || len(st) != 1 || st[0].Lectures != 2 || st[0].Confirmed != 2 || st[0].Attended != 1 || st[0].Month != "2026-12" {
		t.Errorf("stats %+v %v", st, err)
	}
	if _, err := e.svc.Stats(ctx, e.resident(), community, e.now, e.now.AddDate(0, 1, 0)); code(err) != civicgrid.EFORBIDDEN {
		t.Errorf("a resident reads the counts: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Lectures are found by the search, by whoever may read them: a resident
// of the community by a word of the title or the speakers, a resident of
// another district not at all.
func TestLecturesAreSearchable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	l := e.post(10, "")
	finder := search.New(e.db)
	find := func(who civicgrid.Actor, q string) []search.Result {
		t.Helper()
		page, err := finder.Search(ctx, who, search.Query{Q: q, Kind: "lecture"})
		if err != nil {
			t.Fatal(err)
		}
		return page.Results
	}
	resident := e.resident()
	if rs := find(resident, "诈骗"); len(rs) != 1 || rs[0].ID != l.ID || rs[0].Link != fmt.Sprintf("/lectures/%d", l.ID) {
		t.Errorf("a resident's search for 诈骗: %+v", rs)
	}
	if rs := find(resident, "宣讲团"); len(rs) != 1 {
		t.Errorf("a resident's search for the speakers: %+v", rs)
	}
	if rs := find(e.person(civicgrid.RoleResident, "4201030010010010001"), "诈骗"); len(rs) != 0 {
		t.Errorf("another district's resident finds %+v", rs)
	}
}

// The day before, each seated attendee is reminded once; those waiting,
// and the attendees of a cancelled lecture or of one further off, are not.
func TestRemindTheDayBefore(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	l := e.post(2, "") // starts in 24 h
	seated1, seated2, waiting := e.resident(), e.resident(), e.resident()
	for _, p := range []civicgrid.Actor{seated1, seated2, waiting} {
		must(e.svc.SignUp(ctx, p, l.ID))
	}
	gone := e.post(5, "")
	must(e.svc.SignUp(ctx, e.resident(), gone.ID))
	if err := e.svc.Cancel(ctx, e.staff, gone.ID); err != nil {
		t.Fatal(err)
	}
	_, cursor, err := e.svc.NotifySource().Read(ctx, 0, 100) // the cancellation's notices
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(-time.Hour) // 25 h before: not yet
	if n, err := e.svc.RemindDue(ctx); err != nil || n != 0 {
		t.Fatalf("25 h before: %d %v", n, err)
	}
	e.now = e.now.Add(2 * time.Hour) // 23 h before
	if n, err := e.svc.RemindDue(ctx); err != nil || n != 1 {
		t.Fatalf("the day before: %d %v", n, err)
	}
	if n, err := e.svc.RemindDue(ctx); err != nil || n != 0 {
		t.Fatalf("again: %d %v", n, err)
	}
	drafts, _, err := e.svc.NotifySource().Read(ctx, cursor, 100)
	if err != nil || len(drafts) != 2 {
		t.Fatalf("reminders %+v %v", drafts, err)
	}
	for i, p := range []civicgrid.Actor{seated1, seated2} {
		if d := drafts[i]; d.UserID != p.UserID || d.Kind != "lecture.remind" || d.Link != fmt.Sprintf("/lectures/%d", l.ID) {
			t.Errorf("reminder %d: %+v", i, d)
		}
	}
}
