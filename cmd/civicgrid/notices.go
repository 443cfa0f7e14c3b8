package main

import (
	"context"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notices"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// seedDemoNotices posts three notices to the demo city's first community,
// once (when it has none yet), through the notices service as its staff
// would: a pinned one to everyone, one to residents asking them to
// confirm they read it, and one to a volunteer team.
func seedDemoNotices(ctx context.Context, db *sqlstore.DB, svc *notices.Service, teams interface {
	Teams(ctx context.Context, actor civicgrid.Actor, area string) ([]civicgrid.Team, error)
}) error {
	areas, err := firstDemoAreas(ctx, db)
	if err != nil {
		return err
	}
	rec, err := db.LoginRecordByPhone(ctx, "19900000006")
	if err != nil {
		return err
	}
	staff := rec.User.Actor()
	if ns, err := svc.List(ctx, staff, true); err != nil || len(ns) > 0 {
		return err
	}
	if _, err := svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: areas.community, Title: "社区服务中心冬季办公时间调整",
		Body: "自12月1日起，社区服务中心办公时间调整为 8:30–17:00，周六上午值班。", Pinned: true}); err != nil {
		return err
	}
	if _, err = svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: areas.community, Audience: civicgrid.AudienceResidents, Title: "燃气管道入户安全检查",
		Body: "本周六上午 9:00–12:00 燃气公司入户检查，请家中留人；不便者请联系楼栋长另约时间。", NeedConfirm: true}); err != nil {
		return err
	}
	// And one to the community's first volunteer team, read by its
	// members only (the volunteer service answers who they are).
	ts, err := teams.Teams(ctx, staff, areas.community)
	if err != nil || len(ts) == 0 {
		return err
	}
	_, err = svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: areas.community, Audience: civicgrid.AudienceTeam, TeamID: ts[0].ID,
		Title: "志愿队本周排班", Body: "周六 9:00–11:00 社区门口值守，请在群里接龙报名；下雨改在驿站。"})
	return err
}
