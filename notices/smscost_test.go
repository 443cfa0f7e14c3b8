package notices_test

import (
	"context"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notices"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/web"
)

// An urgent notice's text messages are costed: staff over its scope and
// auditors see how many were sent and how many billed messages they took
// (a long Chinese text is billed in parts of 67 characters); its readers
// do not, and a notice texted to nobody shows no cost.
func TestUrgentNoticeSMSCost(t *testing.T) {
	ctx := context.Background()
	var notes *notify.Service
	e := newEnv(t, false, func(c *notices.Config) {
		c.SMSCost = func(ctx context.Context, sources []string) (civicgrid.SMSCost, error) {
			return notes.SMSCost(ctx, sources)
		}
	})
	staff := e.person("张社工", civicgrid.RoleCommunityStaff, community)
	wang := e.person("王秀英", civicgrid.RoleResident, building)
	e.person("李建国", civicgrid.RoleResident, building2)
	catalogue, err := web.LoadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	phones := &texts{sent: map[string]string{}}
	notes = notify.New(notify.Config{Texts: catalogue, SMS: phones}, e.db, nil)
	notes.AddSource(e.svc.NotifySource())
	// A long title: the text is billed in parts.
	title := "燃气泄漏，请立即撤离并在楼下空地集合，等候燃气公司抢修人员到场处理，切勿使用明火或开关电器，" +
		"老人和行动不便的住户请敲门告知邻居或拨打社区值班电话，我们会安排网格员上门协助撤离"
	v, err := e.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: community, Audience: civicgrid.AudienceResidents, Title: title,
		Body: "3栋燃气泄漏。", Priority: civicgrid.PriorityUrgent})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := e.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: community, Title: "例会", Body: "周五"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.Get(ctx, staff, v.ID); err != nil || got.SMS == nil || *got.SMS != (civicgrid.SMSCost{}) {
		t.Fatalf("before sending: %+v %v", got.SMS, err)
	}
	if _, err := notes.Produce(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := notes.SendDue(ctx); err != nil || n != 2 {
		t.Fatalf("sent %d %v", n, err)
	}
	want := civicgrid.SMSCost{Sent: 2}
	for _, m := range phones.sent {
		want.Segments += civicgrid.SMSSegments(m)
		if !strings.Contains(m, "燃气泄漏") {
			t.Fatalf("text %q", m)
		}
	}
	if want.Segments < 4 {
		t.Fatalf("a long text is billed in parts: %d segments for 2", want.Segments)
	}
	got, err := e.svc.Get(ctx, staff, v.ID)
	if err != nil || got.SMS == nil || *got.SMS != want {
		t.Fatalf("staff see %+v %v, want %+v", got.SMS, err, want)
	}
	auditor := e.person("审计员", civicgrid.RoleAuditor, "420102")
	if a, err := e.svc.Get(ctx, auditor, v.ID); err != nil || a.SMS == nil || *a.SMS != want {
		t.Fatalf("the auditor sees %+v %v, want %+v", a.SMS, err, want)
	}
	if r, err := e.svc.Get(ctx, wang, v.ID); err != nil || r.SMS != nil {
		t.Fatalf("a reader sees the cost: %+v %v", r.SMS, err)
	}
	if p, err := e.svc.Get(ctx, staff, plain.ID); err != nil || p.SMS != nil {
		t.Fatalf("a notice texted to nobody: %+v %v", p.SMS, err)
	}
}

func TestSMSSegments(t *testing.T) {
	for text, want := range map[string]int{
		"":                             0,
		"Water off at 9":               1,
		strings.Repeat("a", 160):       1,
		strings.Repeat("a", 161):       2,
		strings.Repeat("a", 306):       2,
		strings.Repeat("a", 307):       3,
		strings.Repeat("停", 70):        1,
		strings.Repeat("停", 71):        2,
		strings.Repeat("停", 134):       2,
		strings.Repeat("停", 135):       3,
		strings.Repeat("a", 69) + "停":  1,
		strings.Repeat("a", 100) + "停": 2,
		"€" + strings.Repeat("a", 100): 2, // an extension character: taken as UCS-2
	} {
		if got := civicgrid.SMSSegments(text); got != want {
			t.Errorf("%d characters %q…: %d segments, want %d", len([]rune(text)), text[:min(len(text), 6)], got, want)
		}
	}
}
