package notices_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/web"
)

// texts records the text messages the notification sender sends.
type texts struct {
	mu   sync.Mutex
	sent map[string]string
}

func (t *texts) Send(_ context.Context, phone, message string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent[phone] = message
	return nil
}

// An urgent notice reaches its audience's inboxes and phones through the
// notification sender (its SMS opt-out and hourly limit), in their words;
// the one who turned SMS off, the sender and people outside the audience
// get no text.
func TestUrgentNoticeBySMS(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, false)
	staff := e.person("张社工", civicgrid.RoleCommunityStaff, community)
	wang := e.person("王秀英", civicgrid.RoleResident, building)
	li := e.person("李建国", civicgrid.RoleResident, building2)
	quiet := e.person("赵静", civicgrid.RoleResident, building)
	worker := e.person("刘网格", civicgrid.RoleGridWorker, grid)
	catalogue, err := web.LoadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	phones := &texts{sent: map[string]string{}}
	notes := notify.New(notify.Config{Texts: catalogue, SMS: phones}, e.db, nil)
	notes.AddSource(e.svc.NotifySource())
	if err := notes.SetPrefs(ctx, quiet, civicgrid.NotificationPrefs{SMSOff: true, Lang: "zh-CN"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: community, Audience: civicgrid.AudienceResidents, Title: "燃气泄漏",
		Body: "3栋燃气泄漏，请立即撤离。", Priority: civicgrid.PriorityUrgent}); err != nil {
		t.Fatal(err)
	}
	// A normal notice tells nobody beyond the app.
	if _, err := e.svc.Post(ctx, staff, civicgrid.NoticeInput{Scope: community, Title: "例会", Body: "周五"}); err != nil {
		t.Fatal(err)
	}
	if n, err := notes.Produce(ctx); err != nil || n != 3 {
		t.Fatalf("produced %d %v, want 3 (the residents)", n, err)
	}
	if n, err := notes.SendDue(ctx); err != nil || n != 2 {
		t.Fatalf("sent %d %v, want 2", n, err)
	}
	for _, a := range []civicgrid.Actor{wang, li} {
		if msg := phones.sent[a.Phone]; !strings.Contains(msg, "紧急通知：燃气泄漏") {
			t.Errorf("%s got %q", a.Name, msg)
		}
	}
	for _, a := range []civicgrid.Actor{quiet, staff, worker} {
		if msg, ok := phones.sent[a.Phone]; ok {
			t.Errorf("%s got a text: %q", a.Name, msg)
		}
	}
	inbox, err := notes.Inbox(ctx, quiet, false, 0, 10)
	if err != nil || len(inbox) != 1 || inbox[0].Link == "" {
		t.Fatalf("the quiet resident's inbox %+v %v", inbox, err)
	}
}
