package main

import (
	"context"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/volunteering"
)

// seedDemoVolunteer puts two requests for help into the demo city's first
// building, once (when its community has none yet), through the volunteer
// service as its people would: the grid worker asks on behalf of an
// elderly neighbour and staff publish it (open for the demo volunteer),
// staff invite the demo volunteer to it (they may accept or decline),
// and the demo resident asks for a haircut, waiting for staff to check it.
func seedDemoVolunteer(ctx context.Context, db *sqlstore.DB, svc *volunteering.Service) error {
	areas, err := firstDemoAreas(ctx, db)
	if err != nil {
		return err
	}
	if err := seedDemoRegistrations(ctx, db, svc, areas.community, areas.building); err != nil {
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
		Beneficiary: "王秀英", Contact: "13900000302", Note: "独居老人，周五上午去社区医院复查，需要有人陪同。", Urgency: civicgrid.UrgencyUrgent,
		Needs: []string{"driver", civicgrid.NeedWoman}})
	if err != nil {
		return err
	}
	if _, err := svc.Verify(ctx, staff, r.ID, volunteering.DecisionAccept, ""); err != nil {
		return err
	}
	// Staff invite the demo volunteer to it: it waits for their answer.
	if vol, err := db.LoginRecordByPhone(ctx, "19900000003"); err != nil {
		return err
	} else if _, err := svc.Invite(ctx, staff, r.ID, vol.User.ID); err != nil {
		return err
	}
	_, err = svc.Ask(ctx, resident, civicgrid.HelpInput{Service: "haircut", BuildingCode: areas.building, Note: "行动不便，希望上门理发。"})
	return err
}

// seedDemoRegistrations registers the demo volunteer (approved by the
// demo community staff: only approved volunteers claim; captain of the
// riders' team) and the demo resident (waiting for staff to check it),
// once each.
func seedDemoRegistrations(ctx context.Context, db *sqlstore.DB, svc *volunteering.Service, community, building string) error {
	staffRec, err := db.LoginRecordByPhone(ctx, "19900000006")
	if err != nil {
		return err
	}
	staff := staffRec.User.Actor()
	for _, d := range []struct {
		phone   string
		in      civicgrid.ProfileInput
		approve bool
	}{
		{"19900000003", civicgrid.ProfileInput{Community: community, Skills: []string{"driver", "first_aid", "escort"}, Availability: "工作日晚上、周末全天",
			Training:       []civicgrid.TrainingRecord{{Name: "社区志愿者岗前培训", Date: "2026-03-14", Hours: 4}, {Name: "红十字救护员培训", Date: "2026-05-20", Hours: 16}},
			InsuranceUntil: time.Now().AddDate(1, 0, 0).Format(time.DateOnly), PublishName: true,
			IDNumber: "11010519491231002X"}, true}, // the example number of GB 11643 (a demo, no one's)
		{"19900000001", civicgrid.ProfileInput{Community: community, Skills: []string{"haircut", "cooking"}, Availability: "周六上午"}, false},
	} {
		rec, err := db.LoginRecordByPhone(ctx, d.phone)
		if err != nil {
			return err
		}
		if _, err := db.VolunteerProfileOf(ctx, rec.User.ID); err == nil {
			continue
		}
		a := rec.User.Actor()
		if _, err := svc.Register(ctx, a, d.in); err != nil {
			return err
		}
		if d.approve {
			if _, err := svc.Decide(ctx, staff, a.UserID, "approve", ""); err != nil {
				return err
			}
			// The approved volunteer captains the community's riders' team.
			if _, err := svc.FormTeam(ctx, staff, civicgrid.TeamInput{Kind: civicgrid.TeamRiders, Name: "红色骑手志愿队", Community: community,
				CaptainID: a.UserID}); err != nil {
				return err
			}
			// and a riders' service point (骑手驿站) next to the first building.
			if _, at, has, err := volunteering.Building(ctx, db, building); err == nil && has {
				if _, err := svc.AddServicePoint(ctx, staff, civicgrid.ServicePointInput{Community: community, Name: "骑手爱心驿站",
					Lat: at[1] + 0.0004, Lng: at[0] + 0.0004, Hours: "每天 8:00–22:00", Offers: "饮水、充电、休息、如厕、应急药箱"}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
