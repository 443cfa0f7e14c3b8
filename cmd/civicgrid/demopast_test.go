package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// startDemoPast runs the demo with a past of days until it serves, stops it
// and returns what it printed about the past.
func startDemoPast(t *testing.T, data string, days string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw, _ := os.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--data", data, "--addr", "127.0.0.1:0", "--past-days", days}, pw, io.Discard)
		pw.Close()
	}()
	var past string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Seeded a past") {
			past = line
		}
		if strings.Contains(line, " serving ") {
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo: %v", err)
	}
	return past
}

// TestDemoPast: the demo's past goes through the real case service — every
// path of the loop is there, the indicators recount clean from the event
// log and the chains verify; the same seed makes the same past; yesterday
// holds the cluster the early warning is to find; a second start adds
// nothing.
func TestDemoPast(t *testing.T) {
	useTestStore(t)
	fixed := time.Now()
	demoPastNow = func() time.Time { return fixed }
	t.Cleanup(func() { demoPastNow = time.Now })
	data := t.TempDir()
	past := startDemoPast(t, data, "21")
	m := regexp.MustCompile(`Seeded a past of 21 days: (\d+) cases`).FindStringSubmatch(past)
	if m == nil {
		t.Fatalf("the demo did not say it seeded a past: %q", past)
	}
	if out, err := runCmd(t, "indicators", "check", "--data", data); err != nil || !strings.Contains(out, "match") {
		t.Fatalf("indicators check: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "verify", "--data", data); err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	ctx := context.Background()
	db, err := openTestStore(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []civicgrid.CaseStatus{civicgrid.StatusRated, civicgrid.StatusClosed, civicgrid.StatusRejected, civicgrid.StatusRegistered} {
		some, err := db.ListCases(ctx, civicgrid.CaseFilter{All: true, Status: []civicgrid.CaseStatus{s}, Limit: 1})
		if err != nil || len(some) == 0 {
			t.Errorf("no %s case in the past (%v)", s, err)
		}
	}
	cst := time.FixedZone("CST", 8*3600)
	now := fixed.In(cst)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, cst)
	cases, err := db.ListCases(ctx, civicgrid.CaseFilter{All: true, Since: today.AddDate(0, 0, -1), Until: today, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	yesterday := map[string]int{}
	for _, c := range cases {
		yesterday[c.GridCode+"/"+c.Category]++
	}
	cluster := 0
	for _, n := range yesterday {
		cluster = max(cluster, n)
	}
	if cluster < 7 {
		t.Errorf("yesterday's busiest grid and category had %d reports, want the cluster of 7 or more", cluster)
	}
	// A second start finds cases and seeds nothing more.
	if again := startDemoPast(t, data, "21"); again != "" {
		t.Errorf("a second start seeded again: %q", again)
	}
	// Care visits over the same days, in the second community: weekly and
	// monthly people, most slots visited.
	buildings, err := db.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelBuilding})
	if err != nil {
		t.Fatal(err)
	}
	second := ""
	for _, b := range buildings {
		if c := b.Code[:12]; c != buildings[0].Code[:12] {
			second = c
			break
		}
	}
	entries, err := db.CareEntries(ctx, []string{second}, nil, 100)
	if err != nil || len(entries) != 12 {
		t.Fatalf("%d care entries in the past's community (%v), want 12", len(entries), err)
	}
	visits := 0
	for _, e := range entries {
		vs, err := db.CareVisits(ctx, e.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		visits += len(vs)
	}
	// Six weekly people have two or three whole slots in 21 days (the
	// third ends at 09:00 today, China time); nine in ten are visited.
	if visits < 6 || visits > 18 {
		t.Errorf("%d care visits in 21 days, want most of the 12 to 18 weekly slots", visits)
	}
	// And its volunteer service: twice a week, asked, taken, served and
	// confirmed.
	helped, err := db.HelpRequests(ctx, []string{second}, nil, 100)
	if err != nil || len(helped) != 4 {
		t.Fatalf("%d requests for help in the past's community (%v), want 4 (two weeks of two)", len(helped), err)
	}
	for _, r := range helped {
		if r.Status != civicgrid.HelpConfirmed || r.VolunteerID == 0 {
			t.Errorf("request %d: %s by volunteer %d, want confirmed", r.ID, r.Status, r.VolunteerID)
		}
	}
	// They count in the community's volunteer indicators (the rollups the
	// check above recounted).
	vm, active, err := db.SumVolunteerRollups(ctx, second, civicgrid.CohortOf(today.AddDate(0, 0, -30), "", "").Day, civicgrid.CohortOf(now, "", "").Day)
	if err != nil || vm.Requests != 4 || vm.Confirmed != 4 || vm.Minutes <= 0 || active == 0 {
		t.Errorf("the past's volunteer indicators: %+v, %d active (%v)", vm, active, err)
	}
	first := pastFingerprint(t, db)
	// The same seed, another store: the same cases, numbered alike, in the
	// same states (the reporting and the stepping run side by side).
	useTestStore(t)
	otherData := t.TempDir()
	if other := startDemoPast(t, otherData, "21"); !strings.Contains(other, " "+m[1]+" cases") {
		t.Errorf("the same seed made another past: %q, first %q", other, past)
	}
	otherDB, err := openTestStore(ctx, otherData)
	if err != nil {
		t.Fatal(err)
	}
	defer otherDB.Close()
	if second := pastFingerprint(t, otherDB); second != first {
		t.Errorf("the same seed made other cases:\n%s\nfirst:\n%s", second, first)
	}
}

// pastFingerprint lists every case's number, category, grid, state and
// version.
func pastFingerprint(t *testing.T, db interface {
	ListCases(context.Context, civicgrid.CaseFilter) ([]civicgrid.Case, error)
}) string {
	t.Helper()
	cs, err := db.ListCases(context.Background(), civicgrid.CaseFilter{All: true, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%d %s %s %s %d\n", c.ID, c.Category, c.GridCode, c.Status, c.Version)
	}
	return b.String()
}
