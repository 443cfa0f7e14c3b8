package main

import (
	"context"
	"fmt"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// seedDemoCogov puts a few proposals and one open vote into the demo
// city's first community, once (when it has no proposals yet), through the
// co-governance service as its people would: a proposal collecting
// support, one declined with its reason, one supported onto the agenda
// and put to a vote that is open (the demo resident may vote), and one
// whose vote is closed and its result on public notice.
func seedDemoCogov(ctx context.Context, db *sqlstore.DB, svc *cogovern.Service) error {
	areas, err := firstDemoAreas(ctx, db)
	if err != nil {
		return err
	}
	if ps, err := db.Proposals(ctx, []string{areas.community}, nil, 1); err != nil || len(ps) > 0 {
		return err
	}
	person := func(phone string) (civicgrid.Actor, error) {
		rec, err := db.LoginRecordByPhone(ctx, phone)
		return rec.User.Actor(), err
	}
	resident, err := person("19900000001")
	if err != nil {
		return err
	}
	secretary, err := person("19900000007")
	if err != nil {
		return err
	}
	neighbours, err := db.ListUsers(ctx, civicgrid.UserFilter{Within: []string{areas.community}, Role: civicgrid.RoleResident, Limit: 400})
	if err != nil {
		return err
	}
	var others []civicgrid.Actor
	for _, u := range neighbours {
		if u.ID != resident.UserID {
			others = append(others, u.Actor())
		}
	}
	if len(others) < 8 {
		return fmt.Errorf("demo co-governance: the first community has %d residents, want at least 8", len(others))
	}
	propose := func(by civicgrid.Actor, area, title, body string, supporters []civicgrid.Actor) (civicgrid.Proposal, error) {
		p, err := svc.Propose(ctx, by, cogovern.ProposalInput{AreaCode: area, Title: title, Body: body})
		for _, s := range supporters {
			if err != nil {
				break
			}
			_, err = svc.Support(ctx, s, p.ID)
		}
		return p, err
	}
	head, err := person("19900000005") // the building head supports it
	if err != nil {
		return err
	}
	if _, err := propose(resident, areas.building, "楼道加装声控灯", "晚上楼道太黑，老人上下楼不安全。", []civicgrid.Actor{head}); err != nil {
		return fmt.Errorf("demo proposal: %w", err)
	}
	declined, err := propose(others[0], areas.community, "周末在小区门口摆早市", "方便买菜。", nil)
	if err == nil {
		_, err = svc.Moderate(ctx, secretary, declined.ID, cogovern.DecisionDecline, "小区门口是消防通道，不能占用；已转街道协调附近的便民市场。")
	}
	if err != nil {
		return fmt.Errorf("demo proposal: %w", err)
	}
	// Two matters reach the agenda by support; the secretary puts them to votes.
	vote := func(title, body string) (civicgrid.Vote, error) {
		p, err := propose(others[1], areas.community, title, body, others[2:7])
		if err == nil && p.SupportNeeded > 5 { // a higher --support-threshold: the secretary accepts it
			_, err = svc.Moderate(ctx, secretary, p.ID, cogovern.DecisionAccept, "")
		}
		if err != nil {
			return civicgrid.Vote{}, err
		}
		return svc.OpenVote(ctx, secretary, civicgrid.VoteInput{ProposalID: p.ID, Method: civicgrid.MethodYesNo, Rule: civicgrid.DefaultQuorumRule, Hours: 7 * 24})
	}
	done, err := vote("调整垃圾分类投放点", "把投放点从3栋门口移到小区东侧空地。")
	if err != nil {
		return fmt.Errorf("demo vote: %w", err)
	}
	// More than half of its roll votes, three in four of them yes.
	for i, a := range others[:done.RollSize/2+1] {
		choice := civicgrid.ChoiceYes
		if i%4 == 3 {
			choice = civicgrid.ChoiceNo
		}
		if _, err := svc.Cast(ctx, a, done.ID, []string{choice}); err != nil {
			return fmt.Errorf("demo ballot: %w", err)
		}
	}
	if _, err := svc.Close(ctx, secretary, done.ID); err != nil {
		return fmt.Errorf("demo vote: %w", err)
	}
	if _, err := vote("小区增设电动车充电桩", "在地面停车场东侧建20个充电位，按次收费，杜绝飞线充电。"); err != nil {
		return fmt.Errorf("demo vote: %w", err)
	}
	if err := seedDemoHouseholds(ctx, svc, secretary, resident, areas.building, neighbours); err != nil {
		return fmt.Errorf("demo households: %w", err)
	}
	if err := seedDemoCourtyard(ctx, svc, secretary, resident, areas.building, neighbours); err != nil {
		return fmt.Errorf("demo courtyard: %w", err)
	}
	// A ranked poll (排序投票) the demo accounts can rank by tapping; three neighbours have.
	poll, err := svc.OpenVote(ctx, secretary, civicgrid.VoteInput{AreaCode: areas.community, Question: "社区文化节办什么活动（按喜好排序）",
		Method: civicgrid.MethodRanked, Options: []string{"广场舞展演", "书画展", "邻里美食节", "老电影放映"}, Rule: civicgrid.DefaultQuorumRule, Hours: 7 * 24})
	if err != nil {
		return fmt.Errorf("demo poll: %w", err)
	}
	for i, ranking := range [][]string{{"邻里美食节", "老电影放映"}, {"书画展", "邻里美食节"}, {"邻里美食节"}} {
		if i < len(others) {
			if _, err := svc.Cast(ctx, others[i], poll.ID, ranking); err != nil {
				return fmt.Errorf("demo poll ballot: %w", err)
			}
		}
	}
	// What was seeded is the demo's past: nobody is told of it (the
	// notifications' cursor starts after it), so the demo accounts' inboxes
	// start empty as before.
	evs, err := db.CogovEventsAfter(ctx, 0, 10_000)
	if err != nil || len(evs) == 0 {
		return err
	}
	_, err = db.AddNotifications(ctx, cogovern.NotifySourceName, 0, evs[len(evs)-1].ID, nil)
	return err
}

// seedDemoCourtyard makes a courtyard (院落) of the demo resident's
// building and the next building of the community where residents live,
// and raises a matter in it that a neighbour of the courtyard supports.
func seedDemoCourtyard(ctx context.Context, svc *cogovern.Service, secretary, resident civicgrid.Actor, first string, people []civicgrid.User) error {
	buildings := []string{first}
	var inside civicgrid.Actor
	for _, u := range people {
		for _, g := range u.Grants {
			if g.Role != civicgrid.RoleResident || civicgrid.LevelOfCode(g.AreaCode) != civicgrid.LevelBuilding || u.ID == resident.UserID {
				continue
			}
			if len(buildings) < 2 && g.AreaCode != first {
				buildings = append(buildings, g.AreaCode)
			}
			if inside.UserID == 0 && g.AreaCode == first {
				inside = u.Actor()
			}
		}
	}
	c, err := svc.SaveCourtyard(ctx, secretary, 0, civicgrid.CourtyardInput{Community: first[:12], Name: "幸福里小院", Buildings: buildings})
	if err != nil {
		return err
	}
	p, err := svc.Propose(ctx, resident, cogovern.ProposalInput{CourtyardID: c.ID, Title: "院内晾衣架统一更换",
		Body: "院子里的晾衣架锈了，建议几栋楼一起换成不锈钢的。"})
	if err == nil && inside.UserID != 0 {
		_, err = svc.Support(ctx, inside, p.ID)
	}
	return err
}

// seedDemoHouseholds registers the flats of up to three buildings of the
// first community, two residents to a flat (the first the household
// representative and the owner, with a floor area), the demo resident in
// the first flat of the first building, and opens a one-vote-per-household
// vote in that building.
func seedDemoHouseholds(ctx context.Context, svc *cogovern.Service, secretary, resident civicgrid.Actor, first string, people []civicgrid.User) error {
	byBuilding := map[string][]civicgrid.User{}
	var order []string
	for _, u := range people {
		for _, g := range u.Grants {
			if g.Role != civicgrid.RoleResident || civicgrid.LevelOfCode(g.AreaCode) != civicgrid.LevelBuilding {
				continue
			}
			if _, ok := byBuilding[g.AreaCode]; !ok {
				order = append(order, g.AreaCode)
			}
			if u.ID == resident.UserID { // the demo resident heads the first flat
				byBuilding[g.AreaCode] = append([]civicgrid.User{u}, byBuilding[g.AreaCode]...)
			} else {
				byBuilding[g.AreaCode] = append(byBuilding[g.AreaCode], u)
			}
			break
		}
	}
	areas := []string{"89.50", "76.20", "120.00", "65.80", "98.30", "89.50", "104.60", "58.90"}
	for i, b := range order {
		if i == 3 {
			break
		}
		var rows []civicgrid.HouseholdRow
		for j, u := range byBuilding[b] {
			flat := j / 2
			room := fmt.Sprintf("1-%d0%d", flat/2+1, flat%2+1)
			if j%2 == 0 {
				rows = append(rows, civicgrid.HouseholdRow{Room: room, Phone: u.Phone, Role: civicgrid.HouseholdRepresent},
					civicgrid.HouseholdRow{Room: room, Phone: u.Phone, Role: civicgrid.HouseholdOwnerRole, Area: areas[flat%len(areas)]})
			} else {
				rows = append(rows, civicgrid.HouseholdRow{Room: room, Phone: u.Phone, Role: civicgrid.HouseholdMemberRole})
				if flat == 0 { // the first flat's two own it together (共有)
					rows = append(rows, civicgrid.HouseholdRow{Room: room, Phone: u.Phone, Role: civicgrid.HouseholdCoOwner})
				}
			}
		}
		if len(rows) == 0 {
			continue
		}
		if _, err := svc.ImportHouseholds(ctx, secretary, b, rows); err != nil {
			return err
		}
	}
	if len(byBuilding[first]) == 0 {
		return nil
	}
	_, err := svc.OpenVote(ctx, secretary, civicgrid.VoteInput{AreaCode: first, Question: "本楼单元门是否加装门禁？", Method: civicgrid.MethodYesNo,
		Hours: 7 * 24, Electorate: civicgrid.ElectorateHousehold})
	return err
}
