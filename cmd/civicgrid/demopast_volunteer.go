package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/democity"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/volunteering"
)

// seedDemoVolunteerPast gives the demo's past its volunteer service, in
// the same second community as the care visits: two volunteers register
// and are approved when the past begins, and twice a week a resident asks
// for help for the next day (shopping, a clinic escort, a haircut …),
// staff accept the request, a volunteer takes it, signs in and out at the
// building, and the resident confirms and rates it, so that the hours are
// recorded and the time bank moves. Through the real volunteer service on
// its own simulated clock.
func seedDemoVolunteerPast(ctx context.Context, db *sqlstore.DB, community string, buildings []civicgrid.Area, staff civicgrid.Actor,
	start, end time.Time, seed int64) error {
	var now time.Time
	svc := volunteering.New(volunteering.Config{Now: func() time.Time { return now }, Grants: db}, db, db)
	now = start.Add(9 * time.Hour)
	user := func(name, phone string, grants ...civicgrid.RoleGrant) (civicgrid.User, error) {
		return db.CreateUser(ctx, civicgrid.User{Name: name, Phone: phone, Kind: civicgrid.KindResident}, "", grants,
			civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated, Actor: "cli", Detail: "demo past"})
	}
	var volunteers []civicgrid.Actor
	for i, name := range []string{"历史志愿者甲", "历史志愿者乙"} {
		u, err := user(name, fmt.Sprintf("1980000921%d", i))
		if err != nil {
			return err
		}
		if _, err := svc.Register(ctx, u.Actor(), civicgrid.ProfileInput{Community: community, Skills: []string{"driver", "escort"},
			Availability: "工作日白天", InsuranceUntil: end.AddDate(1, 0, 0).Format(time.DateOnly)}); err != nil {
			return fmt.Errorf("demo volunteer past: register: %w", err)
		}
		if _, err := svc.Decide(ctx, staff, u.ID, "approve", ""); err != nil {
			return fmt.Errorf("demo volunteer past: approve: %w", err)
		}
		if u, err = db.UserByID(ctx, u.ID); err != nil { // with the volunteer role the approval granted
			return err
		}
		volunteers = append(volunteers, u.Actor())
	}
	type resident struct {
		who civicgrid.Actor
		b   civicgrid.Area
	}
	var residents []resident
	for i, name := range []string{"历史居民甲", "历史居民乙", "历史居民丙", "历史居民丁"} {
		b := buildings[i%len(buildings)]
		u, err := user(name, fmt.Sprintf("1980000922%d", i), civicgrid.RoleGrant{Role: civicgrid.RoleResident, AreaCode: b.Code})
		if err != nil {
			return err
		}
		residents = append(residents, resident{u.Actor(), b})
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 13))
	services := []string{"shopping", "clinic", "haircut", "repair", "company", "cleaning"}
	notes := map[string]string{"shopping": "腿脚不便，请帮忙买米和油。", "clinic": "去社区医院复查，需要有人陪同。", "haircut": "行动不便，希望上门理发。",
		"repair": "厨房水龙头漏水，想请人看看。", "company": "一个人在家，想找人说说话。", "cleaning": "请帮忙打扫一下卫生间。"}
	served := 0
	for week := start; week.AddDate(0, 0, 9).Before(end); week = week.AddDate(0, 0, 7) {
		for k := range 2 {
			r := residents[rng.IntN(len(residents))]
			vol := volunteers[(served+k)%len(volunteers)]
			service := services[rng.IntN(len(services))]
			now = week.Add(time.Duration(k*3+rng.IntN(3))*24*time.Hour + 9*time.Hour)
			window := now.Add(24*time.Hour + time.Duration(1+rng.IntN(5))*time.Hour)
			req, err := svc.Ask(ctx, r.who, civicgrid.HelpInput{Service: service, BuildingCode: r.b.Code, Note: notes[service], WindowStart: window})
			if err != nil {
				return fmt.Errorf("demo volunteer past: ask: %w", err)
			}
			now = now.Add(40 * time.Minute)
			if _, err := svc.Verify(ctx, staff, req.ID, volunteering.DecisionAccept, ""); err != nil {
				return fmt.Errorf("demo volunteer past: verify: %w", err)
			}
			now = now.Add(time.Duration(1+rng.IntN(4)) * time.Hour)
			if _, err := svc.Claim(ctx, vol, req.ID); err != nil {
				return fmt.Errorf("demo volunteer past: claim: %w", err)
			}
			lat, lng := democity.PointIn(rng, r.b.Geometry)
			at := &volunteering.Point{Lat: lat, Lng: lng}
			now = window.Add(time.Duration(rng.IntN(10)) * time.Minute)
			if _, err := svc.SignInWith(ctx, vol, req.ID, volunteering.Presence{At: at}); err != nil {
				return fmt.Errorf("demo volunteer past: sign in: %w", err)
			}
			catalogue, _ := civicgrid.LookupVolunteerService(service)
			now = now.Add(time.Duration(catalogue.Minutes-10+rng.IntN(20)) * time.Minute)
			if _, err := svc.SignOutWith(ctx, vol, req.ID, volunteering.Presence{At: at}); err != nil {
				return fmt.Errorf("demo volunteer past: sign out: %w", err)
			}
			now = now.Add(time.Duration(2+rng.IntN(20)) * time.Hour)
			if _, err := svc.Confirm(ctx, r.who, req.ID, []int{5, 5, 5, 4}[rng.IntN(4)], ""); err != nil {
				return fmt.Errorf("demo volunteer past: confirm: %w", err)
			}
		}
		served += 2
	}
	return nil
}
