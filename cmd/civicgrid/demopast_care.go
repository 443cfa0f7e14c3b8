package main

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/care"
	"github.com/civicgrid/civicgrid/democity"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// seedDemoCarePast gives the demo's past its care visits: twelve people of
// the city's second community registered with their consent when the past
// begins (weekly visits for those living alone or with dementia, monthly
// for the others), visited by the community's grid worker or a volunteer
// in most due slots, in person at the building or by phone, a few with a
// concern; the slots nobody visited close as missed when they fall due.
// Through the real care service on a simulated clock, so that the monthly
// coverage rate of the indicators and the big screen has six months
// behind it. The same community's volunteer service has its past beside
// it (seedDemoVolunteerPast). The first community is left to the
// present's demo care and volunteers.
func seedDemoCarePast(ctx context.Context, db *sqlstore.DB, start, end time.Time, seed int64) error {
	buildings, err := db.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelBuilding})
	if err != nil {
		return err
	}
	first := ""
	var ours []civicgrid.Area
	for _, b := range buildings {
		switch c := b.Code[:12]; {
		case first == "":
			first = c
		case c != first && (len(ours) == 0 || ours[0].Code[:12] == c):
			ours = append(ours, b)
		}
	}
	if len(ours) == 0 {
		return nil // a city of one community: no past of care
	}
	community := ours[0].Code[:12]
	mk := func(name, phone, role string) (civicgrid.Actor, error) {
		u, err := db.CreateUser(ctx, civicgrid.User{Name: name, Phone: phone, Kind: civicgrid.KindStaff}, "",
			[]civicgrid.RoleGrant{{Role: role, AreaCode: community}},
			civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated, Actor: "cli", Detail: "demo past"})
		return u.Actor(), err
	}
	staff, err := mk("历史社区工作者", "19800009101", civicgrid.RoleCommunityStaff)
	if err != nil {
		return err
	}
	gridWorker, err := mk("历史网格员", "19800009102", civicgrid.RoleGridWorker)
	if err != nil {
		return err
	}
	volunteer, err := mk("历史志愿者", "19800009103", civicgrid.RoleVolunteer)
	if err != nil {
		return err
	}
	// The community's volunteer service runs beside its care visits.
	volunteerDone := make(chan error, 1)
	go func() { volunteerDone <- seedDemoVolunteerPast(ctx, db, community, ours, staff, start, end, seed) }()
	careErr := seedCareVisits(ctx, db, ours, staff, gridWorker, volunteer, start, end, seed)
	return cmp.Or(careErr, <-volunteerDone)
}

// seedCareVisits registers the past's twelve people for care and visits
// them, slot by slot.
func seedCareVisits(ctx context.Context, db *sqlstore.DB, ours []civicgrid.Area, staff, gridWorker, volunteer civicgrid.Actor,
	start, end time.Time, seed int64) error {
	var now time.Time
	svc := care.New(care.Config{Now: func() time.Time { return now }}, db, db, db, nil)

	type person struct {
		id    int64
		every time.Duration
		b     civicgrid.Area
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	names := []string{"张桂芳", "刘淑珍", "赵德明", "孙玉兰", "周秀珍", "吴国强", "郑凤英", "王志刚", "冯秀兰", "陈玉梅", "褚建华", "卫淑英"}
	kinds := [][]string{{"living_alone"}, {"empty_nest"}, {"dementia"}, {"disabled"}, {"low_income"}, {"living_alone", "disabled"}}
	now = start.Add(9 * time.Hour)
	var people []person
	for i, name := range names {
		b := ours[i%len(ours)]
		k := kinds[i%len(kinds)]
		every := 30
		if slices.Contains(k, "living_alone") || slices.Contains(k, "dementia") {
			every = 7
		}
		consent := civicgrid.CareConsent{GivenBy: civicgrid.ConsentSelf, Scope: "姓名、电话、住址、关爱类别与探访记录",
			Purpose: "社区定期探访关爱，发现困难及时帮扶", At: now.Add(-time.Hour)}
		if slices.Contains(k, "dementia") {
			consent.GivenBy, consent.Guardian, consent.Relation = civicgrid.ConsentGuardian, "家属", "子女"
		}
		v, err := svc.Register(ctx, staff, civicgrid.CareInput{BuildingCode: b.Code, Name: name, Phone: fmt.Sprintf("1390001%04d", i+1),
			Address: fmt.Sprintf("%d单元%d0%d", i%3+1, i%6+1, i%2+1), Kinds: k, FrequencyDays: every, Consent: consent,
			VisitorIDs: []int64{gridWorker.UserID, volunteer.UserID}})
		if err != nil {
			return fmt.Errorf("demo care past: register: %w", err)
		}
		people = append(people, person{id: v.ID, every: time.Duration(every) * 24 * time.Hour, b: b})
	}
	// Each slot of each person, in time order: visited on one of its days
	// (nine in ten), then closed when it falls due.
	type step struct {
		at    time.Time
		who   int // index into people; -1: close the slots due
		visit care.VisitInput
	}
	var steps []step
	for i, p := range people {
		for slot := start.Add(9 * time.Hour); slot.Add(p.every).Before(end); slot = slot.Add(p.every) {
			steps = append(steps, step{at: slot.Add(p.every).Add(time.Minute), who: -1})
			if rng.Float64() < 0.1 {
				continue
			}
			days := int(p.every/(24*time.Hour)) - 1
			at := slot.Add(time.Duration(rng.IntN(days))*24*time.Hour + time.Duration(1+rng.IntN(7))*time.Hour)
			in := care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitFine, Note: "电话问候，身体和生活都好。"}
			if rng.Float64() < 0.7 {
				lat, lng := democity.PointIn(rng, p.b.Geometry)
				in = care.VisitInput{Mode: civicgrid.VisitInPerson, State: civicgrid.VisitFine, Note: "上门看望，状态良好。", Lat: &lat, Lng: &lng}
			}
			if rng.Float64() < 0.05 {
				in.State, in.Note = civicgrid.VisitConcern, "说最近腿脚不便，下楼买菜困难。"
			}
			steps = append(steps, step{at: at, who: i, visit: in})
		}
	}
	slices.SortStableFunc(steps, func(a, b step) int { return a.at.Compare(b.at) })
	visitors := []civicgrid.Actor{gridWorker, volunteer}
	for _, s := range steps {
		now = s.at
		if s.who < 0 {
			if _, err := svc.FireDue(ctx); err != nil {
				return fmt.Errorf("demo care past: close slots: %w", err)
			}
			continue
		}
		if _, err := svc.Record(ctx, visitors[rng.IntN(2)], people[s.who].id, s.visit); err != nil {
			return fmt.Errorf("demo care past: visit: %w", err)
		}
	}
	return nil
}
