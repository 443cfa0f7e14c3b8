package main

import (
	"context"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/lectures"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/volunteering"
)

// seedDemoLectures posts two lectures in the demo city's first community,
// once (when it has none coming), through the lecture service as its staff
// would: an anti-fraud talk next week with room for all, and a small
// first-aid class the demo resident has signed up for.
//
// The anti-fraud talk is given by the community's lecture team (宣讲团),
// formed here through the volunteer service with the demo volunteer as its
// captain.
func seedDemoLectures(ctx context.Context, db *sqlstore.DB, svc *lectures.Service, vol *volunteering.Service) error {
	areas, err := firstDemoAreas(ctx, db)
	if err != nil {
		return err
	}
	if ls, err := db.Lectures(ctx, nil, []string{areas.community}, time.Now(), 1); err != nil || len(ls) > 0 {
		return err
	}
	staffRec, err := db.LoginRecordByPhone(ctx, "19900000006")
	if err != nil {
		return err
	}
	residentRec, err := db.LoginRecordByPhone(ctx, "19900000001")
	if err != nil {
		return err
	}
	staff, resident := staffRec.User.Actor(), residentRec.User.Actor()
	var teamID int64
	if volRec, err := db.LoginRecordByPhone(ctx, "19900000003"); err == nil {
		if t, err := vol.FormTeam(ctx, staff, civicgrid.TeamInput{Kind: civicgrid.TeamLecture, Name: "社区理论宣讲团", Community: areas.community,
			CaptainID: volRec.User.ID}); err == nil {
			teamID = t.ID
		}
	}
	day := time.Now().In(time.FixedZone("CST", 8*3600)).Truncate(24 * time.Hour).Add(-8 * time.Hour) // today 00:00 in China
	if _, err := svc.Post(ctx, staff, civicgrid.LectureInput{Title: "防范电信网络诈骗宣讲", Speakers: "社区民警、社区宣讲团", TeamID: teamID, AreaCode: areas.community,
		Place: "社区党群服务中心二楼会议室", StartsAt: day.AddDate(0, 0, 7).Add(9*time.Hour + 30*time.Minute), Capacity: 60}); err != nil {
		return err
	}
	firstAid, err := svc.Post(ctx, staff, civicgrid.LectureInput{Title: "老年人急救知识小课堂", Speakers: "社区卫生服务中心", AreaCode: areas.community,
		Place: "小院议事角", BuildingCode: areas.building, StartsAt: day.AddDate(0, 0, 3).Add(15 * time.Hour), Capacity: 12,
		Audience: civicgrid.AudienceResidents})
	if err != nil {
		return err
	}
	_, err = svc.SignUp(ctx, resident, firstAid.ID)
	return err
}
