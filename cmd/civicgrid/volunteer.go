package main

import (
	"context"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/volunteering"
)

// seedDemoVolunteer puts two requests for help into the demo city's first
// building, once (when its community has none yet), through the volunteer
// service as its people would: the grid worker asks on behalf of an
// elderly neighbour and staff publish it (open for the demo volunteer),
// and the demo resident asks for a haircut, waiting for staff to check it.
func seedDemoVolunteer(ctx context.Context, db *sqlstore.DB, svc *volunteering.Service) error {
	areas, err := firstDemoAreas(ctx, db)
	if err != nil {
		return err
	}
	if rs, err := db.HelpRequests(ctx, []string{areas.community}, nil, 1); err != nil || len(rs) > 0 {
		return err
	}
	var people [3]civicgrid.Actor
	for i, phone := range []string{"19900000001", "19900000004", "19900000006"} {
		rec, err := db.LoginRecordByPhone(ctx, phone)
		if err != nil {
			return err
		}
		people[i] = rec.User.Actor()
	}
	resident, gridWorker, staff := people[0], people[1], people[2]
	r, err := svc.Ask(ctx, gridWorker, civicgrid.HelpInput{Service: "clinic", BuildingCode: areas.building, Address: "1单元302",
		Beneficiary: "王秀英", Contact: "13900000302", Note: "独居老人，周五上午去社区医院复查，需要有人陪同。", Urgency: civicgrid.UrgencyUrgent})
	if err != nil {
		return err
	}
	if _, err := svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""); err != nil {
		return err
	}
	_, err = svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "haircut", BuildingCode: areas.building, Note: "行动不便，希望上门理发。"})
	return err
}
