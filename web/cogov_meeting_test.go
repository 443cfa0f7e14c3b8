package web

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/cogovern"
	"github.com/civicgrid/civicgrid/internal/testpdf"
	"github.com/civicgrid/civicgrid/photo"
)

// The meeting pages' later steps over the real service: a person invited
// by name from elsewhere reads the meeting; staff attach a PDF (a reader
// gets its link), move the meeting with a reason, publish the minutes,
// which go on the community's public notice board; a cancelled meeting
// says why.
func TestCogovMeetingChangesDocumentsBoard(t *testing.T) {
	ctx := context.Background()
	svc, h, person := cogovTestUI(t)
	store, err := photo.NewStore(t.TempDir(), photo.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	svc.SetProjectDeps(cogovern.ProjectDeps{Documents: store})
	resident := person(civicgrid.RoleResident, "4201020010010010001")
	neighbour := person(civicgrid.RoleResident, "4201020010010020001")
	secretary := person(civicgrid.RoleCommunitySecretary, "420102001001")
	manager := person(civicgrid.RoleResident, "4201030010010010001") // another district: invited by name (phone 13700000004)
	p, err := svc.Propose(ctx, resident, cogovern.ProposalInput{AreaCode: "420102001001", Title: "物业费调整"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Support(ctx, neighbour, p.ID); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(as(h, secretary, "GET", "/proposals", nil).Body.String(), `name="invited_phones"`) {
		t.Fatal("the schedule form asks for people invited by name")
	}
	when := time.Now().Add(24 * time.Hour).Format("2006-01-02T15:04")
	rec := as(h, secretary, "POST", "/meetings", url.Values{"csrf_token": {"tok"}, "area_code": {"420102001001"}, "title": {"物业协调会"},
		"place": {"活动室"}, "starts_at": {when}, "agenda": {fmt.Sprint(p.ID)}, "invited_phones": {"13700000004\n"}})
	page := strings.Split(rec.Header().Get("Location"), "?")[0]
	if !strings.HasPrefix(page, "/meetings/") {
		t.Fatalf("schedule: %s", rec.Header().Get("Location"))
	}
	if b := as(h, manager, "GET", page, nil).Body.String(); !strings.Contains(b, `data-testid="signin"`) {
		t.Fatalf("the person invited by name is offered the sign-in: %s", b)
	}
	if b := as(h, resident, "GET", page, nil).Body.String(); strings.Contains(b, `data-testid="reschedule"`) || strings.Contains(b, `action="`+page+`/documents"`) {
		t.Fatal("a resident is offered staff's forms")
	}
	staff := as(h, secretary, "GET", page, nil).Body.String()
	for _, id := range []string{`data-testid="reschedule"`, `data-testid="cancel-meeting"`, `data-testid="meeting-document-form"`} {
		if !strings.Contains(staff, id) {
			t.Fatalf("staff's page lacks %s", id)
		}
	}

	upload := func(name string, data []byte) string {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("csrf_token", "tok")
		fw, _ := mw.CreateFormFile("document", name)
		fw.Write(data)
		mw.Close()
		req := httptest.NewRequest("POST", page+"/documents", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req = req.WithContext(civicgrid.NewContextWithActor(req.Context(), secretary))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Header().Get("Location")
	}
	if loc := upload("notes.pdf", []byte("not a pdf")); !strings.Contains(loc, "failed=invalid") {
		t.Fatalf("not a PDF: %s", loc)
	}
	if loc := upload("物业费测算.pdf", testpdf.PDF(t, "Fees", 1)); !strings.Contains(loc, "done=document_added") {
		t.Fatalf("a PDF: %s", loc)
	}
	if b := as(h, neighbour, "GET", page, nil).Body.String(); !strings.Contains(b, `data-testid="meeting-document-link"`) || !strings.Contains(b, "物业费测算.pdf") {
		t.Fatalf("a reader sees the document: %s", b)
	}

	if loc := as(h, secretary, "POST", page+"/reschedule", url.Values{"csrf_token": {"tok"}, "place": {"居委会二楼"}}).Header().Get("Location"); !strings.Contains(loc, "failed=invalid") {
		t.Fatalf("moved without a reason: %s", loc)
	}
	if loc := as(h, secretary, "POST", page+"/reschedule", url.Values{"csrf_token": {"tok"}, "place": {"居委会二楼"}, "reason": {"活动室维修"}}).Header().Get("Location"); !strings.Contains(loc, "done=rescheduled") {
		t.Fatalf("moved: %s", loc)
	}
	if b := as(h, resident, "GET", page, nil).Body.String(); !strings.Contains(b, "居委会二楼") || !strings.Contains(b, "活动室维修") {
		t.Fatalf("the moved meeting and its reason in the history: %s", b)
	}
	rec = as(h, secretary, "POST", page+"/minutes", url.Values{"csrf_token": {"tok"}, "item": {fmt.Sprint(p.ID)},
		"decision_" + fmt.Sprint(p.ID): {"adopted"}, "note_" + fmt.Sprint(p.ID): {"每平米上调0.1元"}, "minutes": {"同意调整"}})
	if !strings.Contains(rec.Header().Get("Location"), "done=minutes") {
		t.Fatalf("minutes: %s", rec.Header().Get("Location"))
	}
	board := as(h, civicgrid.Actor{}, "GET", "/notices/420102001001?lang=en", nil).Body.String()
	if !strings.Contains(board, `data-testid="board-minutes"`) || !strings.Contains(board, "每平米上调0.1元") || !strings.Contains(board, "Meeting minutes") ||
		strings.Contains(board, "物业费测算.pdf") {
		t.Fatalf("the public board's minutes: %s", board)
	}

	// Another meeting, cancelled with a reason.
	p2, _ := svc.Propose(ctx, resident, cogovern.ProposalInput{AreaCode: "420102001001", Title: "楼道灯"})
	if _, err := svc.Support(ctx, neighbour, p2.ID); err != nil {
		t.Fatal(err)
	}
	m2, err := svc.ScheduleMeeting(ctx, secretary, civicgrid.MeetingInput{AreaCode: "420102001001", Title: "楼道灯议事", Place: "活动室", StartsAt: time.Now().Add(time.Hour), Agenda: []int64{p2.ID}})
	if err != nil {
		t.Fatal(err)
	}
	page2 := fmt.Sprintf("/meetings/%d", m2.ID)
	if loc := as(h, secretary, "POST", page2+"/cancel", url.Values{"csrf_token": {"tok"}, "reason": {"物业已修好"}}).Header().Get("Location"); !strings.Contains(loc, "done=cancelled") {
		t.Fatalf("cancel: %s", loc)
	}
	if b := as(h, resident, "GET", page2, nil).Body.String(); !strings.Contains(b, `data-testid="meeting-cancelled"`) || !strings.Contains(b, "物业已修好") ||
		strings.Contains(b, `data-testid="signin"`) {
		t.Fatalf("the cancelled meeting: %s", b)
	}
}
