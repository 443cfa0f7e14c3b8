package main

import (
	"context"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/care"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// seedDemoCare registers three people of the demo city's first building
// for care visits, once (when its community has none yet), through the
// care service as the community's staff would: an elderly woman living
// alone (weekly, the demo grid worker and volunteer visit her), a man
// with dementia on his son's consent (weekly, the grid worker and the
// building head; a concern recorded), and an empty-nest woman registered
// eight days ago whose weekly visit was missed (red in the grid worker's
// queue).
func seedDemoCare(ctx context.Context, db *sqlstore.DB, svc *care.Service) error {
	areas, err := firstDemoAreas(ctx, db)
	if err != nil {
		return err
	}
	if es, err := db.CareEntries(ctx, []string{areas.community}, nil, 1); err != nil || len(es) > 0 {
		return err
	}
	var people [4]civicgrid.Actor
	for i, phone := range []string{"19900000003", "19900000004", "19900000005", "19900000006"} {
		rec, err := db.LoginRecordByPhone(ctx, phone)
		if err != nil {
			return err
		}
		people[i] = rec.User.Actor()
	}
	volunteer, gridWorker, head, staff := people[0], people[1], people[2], people[3]
	now := time.Now()
	purpose := "社区定期探访关爱，发现困难及时帮扶"
	scope := "姓名、电话、住址、关爱类别与探访记录"
	if _, err := svc.Register(ctx, staff, civicgrid.CareInput{BuildingCode: areas.building, Name: "王秀英", Phone: "13900000302", Address: "1单元302",
		Kinds: []string{"living_alone"}, Consent: civicgrid.CareConsent{GivenBy: civicgrid.ConsentSelf, Scope: scope, Purpose: purpose, At: now.Add(-time.Hour)},
		VisitorIDs: []int64{gridWorker.UserID, volunteer.UserID}}); err != nil {
		return err
	}
	li, err := svc.Register(ctx, staff, civicgrid.CareInput{BuildingCode: areas.building, Name: "李建国", Phone: "13900000501", Address: "2单元501",
		Kinds: []string{"dementia", "low_income"}, Consent: civicgrid.CareConsent{GivenBy: civicgrid.ConsentGuardian, Guardian: "李明", Relation: "儿子",
			Scope: scope, Purpose: purpose, At: now.Add(-2 * time.Hour)}, VisitorIDs: []int64{gridWorker.UserID, head.UserID}})
	if err != nil {
		return err
	}
	if _, err := svc.Record(ctx, head, li.ID, care.VisitInput{Mode: civicgrid.VisitByPhone, State: civicgrid.VisitConcern,
		Note: "电话里说家里的燃气灶打不着火，已经两天没做饭。"}); err != nil {
		return err
	}
	// Registered eight days ago: its first weekly slot has passed unvisited.
	cfg := svc.Config()
	cfg.Now = func() time.Time { return now.Add(-8 * 24 * time.Hour) }
	past := care.New(cfg, db, db, db, nil)
	_, err = past.Register(ctx, staff, civicgrid.CareInput{BuildingCode: areas.building, Name: "陈桂兰", Phone: "13900000601", Address: "3单元601",
		Kinds: []string{"empty_nest"}, FrequencyDays: 7, Consent: civicgrid.CareConsent{GivenBy: civicgrid.ConsentSelf, Scope: scope, Purpose: purpose,
			At: now.Add(-9 * 24 * time.Hour)}, VisitorIDs: []int64{gridWorker.UserID}})
	if err != nil {
		return err
	}
	if _, err := svc.FireDue(ctx); err != nil {
		return err
	}
	// The seeded miss is the demo's past, not news: the notifications'
	// cursor starts after it (no message, and no text message logged by
	// the development sender for a demo account).
	missed, err := db.MissedCareSlotsAfter(ctx, 0, 100)
	if err != nil || len(missed) == 0 {
		return err
	}
	_, err = db.AddNotifications(ctx, care.NotifySourceName, 0, missed[len(missed)-1].ID, nil)
	return err
}
