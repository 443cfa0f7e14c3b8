package main

import (
	"bytes"
	"context"
	"fmt"

	"codeberg.org/go-pdf/fpdf"

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
	// With its schedule as a PDF (where the server keeps documents).
	var files []notices.DocumentFile
	if svc.Config().Documents != nil {
		pdf, err := demoSchedulePDF()
		if err != nil {
			return err
		}
		files = append(files, notices.DocumentFile{Name: "燃气入户检查安排.pdf", Data: pdf})
	}
	if _, err = svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: areas.community, Audience: civicgrid.AudienceResidents, Title: "燃气管道入户安全检查",
		Body: "本周六上午 9:00–12:00 燃气公司入户检查，请家中留人；不便者请联系楼栋长另约时间。检查安排见附件。", NeedConfirm: true}, files...); err != nil {
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

// demoSchedulePDF is the demo gas check's schedule, a one-page PDF (in
// the writer's built-in Latin font: the demo needs no CJK font).
func demoSchedulePDF() ([]byte, error) {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetTitle("Gas safety check", false)
	f.AddPage()
	f.SetFont("Helvetica", "B", 16)
	f.Cell(0, 12, "Gas safety check - Saturday 9:00-12:00")
	f.Ln(14)
	f.SetFont("Helvetica", "", 12)
	for i, slot := range []string{"9:00-10:00", "10:00-11:00", "11:00-12:00"} {
		f.Cell(0, 9, fmt.Sprintf("Building %d: %s", i+1, slot))
		f.Ln(9)
	}
	f.Ln(4)
	f.MultiCell(0, 7, "Please keep someone at home. If the time does not suit you, ask your building head for another.", "", "", false)
	var b bytes.Buffer
	err := f.Output(&b)
	return b.Bytes(), err
}
