package server_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// The CSV export opens in Excel: UTF-8 with a byte order mark, CRLF rows,
// Chinese headings (English on request), the filters of the list, only
// cases in scope, reporters never named, formulas defused.
func TestCasesCSV(t *testing.T) {
	e := newCaseEnv(t)
	p := e.cast()
	lat, lng := e.point(e.chain)
	var in struct {
		Case civicgrid.Case `json:"case"`
	}
	if st, body := e.call(p.resident, "POST", "/api/v1/cases", map[string]any{"category": "06010", "description": "=HYPERLINK(\"x\") 垃圾",
		"lat": lat, "lng": lng}, &in); st != http.StatusCreated {
		t.Fatalf("report: %d %s", st, body)
	}
	other := e.report(p.resident, "C0005", e.chain)
	e.step(p.staff, other.ID, civicgrid.CaseRegister, nil)

	st, body := e.call(p.staff, "GET", "/api/v1/cases.csv?status=reported", nil, nil)
	if st != http.StatusOK {
		t.Fatalf("csv: %d %s", st, body)
	}
	if !strings.HasPrefix(body, "\ufeff") {
		t.Fatalf("no byte order mark: %q", body[:min(20, len(body))])
	}
	if !strings.Contains(body, "\r\n") {
		t.Error("rows not ended by CRLF")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "编号" || rows[0][2] != "类别" {
		t.Errorf("headings %v", rows[0])
	}
	if len(rows) != 2 || rows[1][0] != strconv.FormatInt(in.Case.ID, 10) {
		t.Fatalf("status filter: rows %v", rows)
	}
	if rows[1][2] != "暴露垃圾" || rows[1][3] != "已上报" {
		t.Errorf("row %v", rows[1])
	}
	if !strings.HasPrefix(rows[1][7], "'=") {
		t.Errorf("formula not defused: %q", rows[1][7])
	}
	if strings.Contains(body, p.resident.user.Phone) || strings.Contains(body, p.resident.user.Name) {
		t.Error("the reporter is named in the export")
	}

	_, body = e.call(p.staff, "GET", "/api/v1/cases.csv?lang=en", nil, nil)
	rows, _ = csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if rows[0][0] != "id" || len(rows) != 3 {
		t.Errorf("English export: %v", rows)
	}
	// Outside one's scope: refused before anything is written.
	if st, _ := e.call(p.outsider, "GET", "/api/v1/cases.csv?within="+e.chain.community, nil, nil); st != http.StatusForbidden {
		t.Errorf("outsider: %d, want 403", st)
	}
	if st, body := e.call(p.outsider, "GET", "/api/v1/cases.csv", nil, nil); st != http.StatusOK || strings.Count(body, "\r\n") != 1 {
		t.Errorf("outsider's own scope: %d %q", st, body)
	}
}

// TestCasesCSVReadsEveryPage: the export pages through the store to the
// end, even when a whole page holds nothing the caller may read (a
// department handler sees only the cases of its categories sent to a
// department): it once stopped at the
// first short page, and at 50,000 rows.
func TestCasesCSVReadsEveryPage(t *testing.T) {
	e := newCaseEnv(t)
	handler := e.login(civicgrid.RoleDepartmentHandler, e.chain.district, "C0005")
	lat, lng := e.point(e.chain)
	mk := func(category, dept string) int64 {
		t.Helper()
		now := e.clock.Now()
		c := civicgrid.Case{Category: category, Status: civicgrid.StatusReported, Channel: civicgrid.ChannelApp, Lat: lat, Lng: lng,
			GridCode: e.chain.grid, AssigneeDept: dept, CreatedAt: now, UpdatedAt: now}
		c, _, err := e.db.CreateCase(context.Background(), c, civicgrid.CaseEvent{At: now, Actor: "t", Action: civicgrid.CaseReport,
			To: c.Status, Data: map[string]string{civicgrid.DataCategory: category, civicgrid.DataGrid: c.GridCode}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	var want []string
	for range 3 {
		want = append(want, strconv.FormatInt(mk("C0005", "水务"), 10))
	}
	// More than a page of another department's cases, written without a
	// sync per commit (a store thrown away after the test): the sync was
	// most of the test's time.
	if err := e.db.Unsynced(context.Background(), func() error {
		for range 1200 {
			mk("06010", "城管")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st, body := e.call(handler, "GET", "/api/v1/cases.csv", nil, nil)
	if st != http.StatusOK {
		t.Fatalf("csv: %d %s", st, body)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[0])
	}
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("exported %v, want %v", got, want)
	}
}
