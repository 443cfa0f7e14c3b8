package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/areaio"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// useTestStore points the commands this test runs at a database of its
// own when the suite runs on PostgreSQL (CIVICGRID_TEST_POSTGRES); on SQLite
// each test's data directory is its store.
func useTestStore(t *testing.T) {
	if u := testdb.URL(t); u != "" {
		t.Setenv("CIVICGRID_DB", u)
	}
}

// openTestStore opens the store the test's commands use.
func openTestStore(ctx context.Context, data string) (*sqlstore.DB, error) {
	return sqlstore.Open(ctx, os.Getenv("CIVICGRID_DB"), data)
}

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String() + errOut.String(), err
}

func decodeFile(t *testing.T, path string) []civicgrid.Area {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	areas, err := areaio.Decode(f, areaio.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return areas
}

// comparable strips what a store adds (ids, validity) so files compare.
func comparable(areas []civicgrid.Area) []civicgrid.Area {
	out := make([]civicgrid.Area, len(areas))
	for i, a := range areas {
		a.ID, a.ValidFrom, a.ValidTo = 0, time.Time{}, time.Time{}
		for j := range a.Workers {
			a.Workers[j].UserID = 0
		}
		if len(a.Workers) == 0 {
			a.Workers = nil
		}
		out[i] = a
	}
	return out
}

// TestImportExportRoundTrip: generate → import → export gives back the same
// areas, through the real SQLite store.
func TestImportExportRoundTrip(t *testing.T) {
	useTestStore(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	city := filepath.Join(dir, "city.geojson")
	back := filepath.Join(dir, "back.geojson")
	if out, err := runCmd(t, "generate", "--grids", "400", "--out", city); err != nil {
		t.Fatal(out, err)
	}
	out, err := runCmd(t, "import", "areas", "--data", data, city)
	if err != nil {
		t.Fatal(out, err)
	}
	if !strings.Contains(out, "unchanged") || strings.Contains(out, " 0 created") {
		t.Fatalf("import said %q", out)
	}
	if out, err := runCmd(t, "export", "areas", "--data", data, "--with-personal-data", "--out", back); err != nil {
		t.Fatal(out, err)
	}
	want, got := comparable(decodeFile(t, city)), comparable(decodeFile(t, back))
	if len(got) != len(want) {
		t.Fatalf("exported %d areas, imported %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("area %d differs after the round trip:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	// Importing the same file again changes nothing.
	out, err = runCmd(t, "import", "areas", "--data", data, city)
	if err != nil || !strings.Contains(out, "0 created, 0 redrawn") {
		t.Fatalf("re-import: %q %v", out, err)
	}
	// The default export masks phones.
	masked := filepath.Join(dir, "masked.geojson")
	if out, err := runCmd(t, "export", "areas", "--data", data, "--within", "420102", "--out", masked); err != nil {
		t.Fatal(out, err)
	}
	// The importer refuses masked phones, so read the file as plain GeoJSON.
	b, err := os.ReadFile(masked)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties struct {
				Code    string
				Workers []struct{ Phone string }
			}
		}
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) == 0 {
		t.Fatal("empty export")
	}
	for _, ft := range fc.Features {
		if !strings.HasPrefix(ft.Properties.Code, "420102") {
			t.Fatalf("--within 420102 exported %s", ft.Properties.Code)
		}
		for _, w := range ft.Properties.Workers {
			if !strings.Contains(w.Phone, "****") {
				t.Fatalf("unmasked phone in a default export: grid %s", ft.Properties.Code)
			}
		}
	}
	out, err = runCmd(t, "import", "areas", "--data", data, masked)
	if err == nil || !strings.Contains(err.Error(), "masked") {
		t.Fatalf("re-importing a masked export: %q %v", out, err)
	}
}

func TestImportBadFileChangesNothing(t *testing.T) {
	useTestStore(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	bad := filepath.Join(dir, "bad.geojson")
	os.WriteFile(bad, []byte(`{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"level":"district","code":"420102","name":"江岸区"},"geometry":null},
		{"type":"Feature","properties":{"level":"street","code":"420103001","name":"错","parent":"420102"},
		 "geometry":{"type":"Polygon","coordinates":[[[114.3,30.6],[114.31,30.6],[114.31,30.61],[114.3,30.61],[114.3,30.6]]]}}]}`), 0o644)
	out, err := runCmd(t, "import", "areas", "--data", data, bad)
	if err == nil || !strings.Contains(err.Error(), "nothing imported") || !strings.Contains(err.Error(), "420103001") {
		t.Fatalf("want a clear error naming the code, got %q %v", out, err)
	}
	export := filepath.Join(dir, "export.geojson")
	if out, err := runCmd(t, "export", "areas", "--data", data, "--out", export); err != nil {
		t.Fatal(out, err)
	}
	if areas := decodeFile(t, export); len(areas) != 0 {
		t.Fatalf("a rejected import left %d areas", len(areas))
	}
}

func TestMigrateAndVersion(t *testing.T) {
	useTestStore(t)
	data := t.TempDir()
	// A store never migrated: status lists every migration as pending and
	// applies none of them.
	out, err := runCmd(t, "migrate", "status", "--data", data)
	if err != nil || !regexp.MustCompile(`0001 .* pending`).MatchString(out) || strings.Contains(out, "applied") {
		t.Fatalf("migrate status before migrating: %q %v", out, err)
	}
	if out, err = runCmd(t, "migrate", "status", "--data", data); err != nil || strings.Contains(out, "applied") {
		t.Fatalf("migrate status applied migrations: %q %v", out, err)
	}
	out, err = runCmd(t, "migrate", "--data", data)
	if err != nil || !regexp.MustCompile(`0001 .* applied`).MatchString(out) {
		t.Fatalf("migrate: %q %v", out, err)
	}
	out, err = runCmd(t, "migrate", "status", "--data", data)
	if err != nil || strings.Contains(out, "pending") {
		t.Fatalf("migrate status: %q %v", out, err)
	}
	if _, err := runCmd(t, "migrate", "sideways", "--data", data); err == nil {
		t.Fatal("unknown migrate action accepted")
	}
	if out, err := runCmd(t, "version"); err != nil || !strings.HasPrefix(out, "civicgrid ") {
		t.Fatalf("version: %q %v", out, err)
	}
	if _, err := runCmd(t, "frobnicate"); err == nil {
		t.Fatal("unknown command accepted")
	}
}

// TestDemoServes starts `demo` on a free port and asks it where a point is.
func TestDemoServes(t *testing.T) {
	useTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw, _ := os.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, pw, os.Stderr)
		pw.Close()
	}()
	var base, token, key string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if m := regexp.MustCompile(`at (http://\S+/)`).FindStringSubmatch(line); m != nil && base == "" {
			base = m[1]
		}
		if strings.HasPrefix(strings.TrimSpace(line), "cgt_") {
			token = strings.TrimSpace(line)
		}
		if strings.HasPrefix(strings.TrimSpace(line), "o311_") {
			key = strings.TrimSpace(line)
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if base == "" || token == "" || key == "" {
		t.Fatalf("demo did not print its URL, token and Open311 key (url %q)", base)
	}
	resp, err := http.Get(base + "api/v1/locate?lat=30.5928&lng=114.2986")
	if err != nil {
		t.Fatal(err)
	}
	var loc struct{ Grid struct{ Code string } }
	json.NewDecoder(resp.Body).Decode(&loc)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(loc.Grid.Code) != 15 {
		t.Fatalf("demo locate: %d %+v", resp.StatusCode, loc)
	}
	req, _ := http.NewRequest("GET", base+"api/v1/admin/areas/export?within=420102", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("demo token rejected: %d", resp.StatusCode)
	}
	// Every demo account logs in with the published password and holds
	// exactly its role.
	for _, d := range demoAccounts {
		resp, err := http.Post(base+"api/v1/auth/login", "application/json",
			strings.NewReader(`{"phone":"`+d.phone+`","password":"`+DemoPassword+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			User civicgrid.User `json:"user"`
		}
		json.NewDecoder(resp.Body).Decode(&s)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(s.User.Grants) != 1 || s.User.Grants[0].Role != d.role {
			t.Errorf("demo account %s (%s): %d %+v", d.phone, d.role, resp.StatusCode, s.User.Grants)
		}
	}
	if len(demoAccounts) != len(civicgrid.Roles) {
		t.Errorf("%d demo accounts for %d roles", len(demoAccounts), len(civicgrid.Roles))
	}
	// The printed Open311 api_key files a request into the demo city.
	resp, err = http.PostForm(base+"open311/v2/requests.json", url.Values{"api_key": {key}, "service_code": {"C0005"},
		"lat": {"30.5928"}, "long": {"114.2986"}, "description": {"水管破裂"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), "service_request_id") {
		t.Fatalf("demo Open311 key: %d %s", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo did not stop cleanly: %v", err)
	}
}

func TestTokenCommands(t *testing.T) {
	useTestStore(t)
	data := t.TempDir()
	if _, err := runCmd(t, "token", "add", "--data", data, "--name", "x", "--role", "grid_worker", "--area", "4201"); err == nil {
		t.Fatal("a token with a role that cannot use the admin API was created")
	}
	if _, err := runCmd(t, "token", "add", "--data", data, "--name", "x", "--role", "city_admin"); err == nil {
		t.Fatal("a token without an area was created")
	}
	out, err := runCmd(t, "token", "add", "--data", data, "--name", "gis", "--role", "district_admin", "--area", "420102")
	m := regexp.MustCompile(`token (\d+) created.*\n(cgt_\S+)`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("token add: %q %v", out, err)
	}
	if out, err := runCmd(t, "token", "revoke", m[1], "--data", data); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("token revoke: %q %v", out, err)
	}
	if _, err := runCmd(t, "token", "revoke", "--data", data, m[1]); err == nil {
		t.Fatal("revoking twice succeeded")
	}
}

func TestOpen311KeyCommands(t *testing.T) {
	useTestStore(t)
	data := t.TempDir()
	if _, err := runCmd(t, "open311", "key", "add", "--data", data); err == nil {
		t.Fatal("a key without a name was made")
	}
	out, err := runCmd(t, "open311", "key", "add", "--data", data, "城管通 app")
	m := regexp.MustCompile(`api_key (\d+) .*\n(o311_\S+)`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("open311 key add: %q %v", out, err)
	}
	if out, err := runCmd(t, "open311", "key", "revoke", "--data", data, m[1]); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %q %v", out, err)
	}
	if _, err := runCmd(t, "open311", "key", "revoke", "--data", data, m[1]); err == nil {
		t.Fatal("revoking twice succeeded")
	}
}

// TestFlagsAfterArguments: every command takes its flags after its
// positional arguments too, and a command of flags only refuses a stray
// argument instead of ignoring the flags after it.
func TestFlagsAfterArguments(t *testing.T) {
	useTestStore(t)
	data := t.TempDir()
	out, err := runCmd(t, "open311", "key", "add", "城管通 app", "--data", data)
	m := regexp.MustCompile(`api_key (\d+) `).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("open311 key add NAME --data DIR: %q %v", out, err)
	}
	if out, err := runCmd(t, "open311", "key", "revoke", m[1], "--data", data); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("open311 key revoke ID --data DIR: %q %v", out, err)
	}
	if out, err := runCmd(t, "indicators", "check", "--data", data); err != nil || !strings.Contains(out, "match") {
		t.Fatalf("indicators check --data DIR: %q %v", out, err)
	}
	if out, err := runCmd(t, "migrate", "status", "--data", data); err != nil {
		t.Fatalf("migrate status --data DIR: %q %v", out, err)
	}
	for _, args := range [][]string{
		{"verify", "stray", "--data", data},
		{"serve", "stray", "--addr", "127.0.0.1:0", "--data", data},
		{"generate", "stray", "--grids", "4"},
		{"copy", "stray", "--from", data, "--to", t.TempDir()},
	} {
		if _, err := runCmd(t, args...); err == nil || !strings.Contains(err.Error(), `unexpected argument "stray"`) {
			t.Errorf("%v: %v, want the stray argument refused", args, err)
		}
	}
	// After "--" a name may start with a dash.
	if out, err := runCmd(t, "open311", "key", "add", "--data", data, "--", "-dash app"); err != nil || !strings.Contains(out, "api_key") {
		t.Errorf("open311 key add -- NAME: %q %v", out, err)
	}
}

func TestVerifyAndIndicatorsOnAnEmptyStore(t *testing.T) {
	useTestStore(t)
	data := t.TempDir()
	if out, err := runCmd(t, "verify", "--data", data); err != nil || !strings.Contains(out, "0 broken") {
		t.Fatalf("verify: %q %v", out, err)
	}
	if out, err := runCmd(t, "indicators", "check", "--data", data); err != nil || !strings.Contains(out, "match") {
		t.Fatalf("indicators check: %q %v", out, err)
	}
	if _, err := runCmd(t, "indicators", "--data", data); err == nil {
		t.Fatal("indicators without check or rebuild succeeded")
	}
}

func TestVerifyFindsATamperedChain(t *testing.T) {
	useTestStore(t)
	data := t.TempDir()
	ctx := context.Background()
	db, err := openTestStore(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutCategory(ctx, civicgrid.Category{Code: "C0005", NameZH: "水管破裂", NameEN: "Burst pipe", RespondWithin: "1h", ResolveWithin: "8h", Active: true}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for range 3 {
		c := civicgrid.Case{Category: "C0005", Status: civicgrid.StatusReported, Channel: "app", Lat: 30.6, Lng: 114.3, GridCode: "420102001001001", CreatedAt: now, UpdatedAt: now}
		if _, _, err := db.CreateCase(ctx, c, civicgrid.CaseEvent{At: now, Actor: "t", Action: civicgrid.CaseReport, To: c.Status,
			Data: map[string]string{civicgrid.DataCategory: "C0005", civicgrid.DataGrid: c.GridCode}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if out, err := runCmd(t, "verify", "--data", data); err != nil || !strings.Contains(out, "3 cases, 3 events checked; 0 broken") {
		t.Fatalf("verify: %q %v", out, err)
	}
	if db, err = openTestStore(ctx, data); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`UPDATE case_events SET actor = 'someone else' WHERE case_id = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err := runCmd(t, "verify", "--data", data)
	if err == nil || !strings.Contains(out, "BROKEN case 2") || !strings.Contains(out, "1 broken") {
		t.Fatalf("verify after tampering: %q %v", out, err)
	}
}

// storeWithResident opens a test store in a fresh data folder with one
// resident, for the verify tests that tamper with a module's history.
func storeWithResident(t *testing.T) (string, *sqlstore.DB, civicgrid.User) {
	t.Helper()
	useTestStore(t)
	data := t.TempDir()
	db, err := openTestStore(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(context.Background(), civicgrid.User{Name: "王五", Phone: "13900000001", Kind: civicgrid.KindResident}, "",
		[]civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: "4201020010010010001"}}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
	if err != nil {
		t.Fatal(err)
	}
	return data, db, u
}

// verify walks co-governance histories too: a proposal's altered event is
// named.
func TestVerifyFindsATamperedProposal(t *testing.T) {
	data, db, u := storeWithResident(t)
	ctx := context.Background()
	now := time.Now()
	p, err := db.CreateProposal(ctx, civicgrid.Proposal{AreaCode: "420102001001", Title: "增设座椅", Status: civicgrid.ProposalOpen, AuthorID: u.ID,
		Author: "王*", SupportNeeded: 5, CreatedAt: now}, civicgrid.CogovEvent{At: now, ActorID: u.ID, Actor: "王*", Action: civicgrid.CogovProposed})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`UPDATE cogov_events SET note = 'rewritten' WHERE subject = $1`, civicgrid.ProposalSubject(p.ID)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err := runCmd(t, "verify", "--data", data)
	if err == nil || !strings.Contains(out, "BROKEN "+civicgrid.ProposalSubject(p.ID)) || !strings.Contains(out, "1 proposals and votes, 1 events checked; 1 broken") {
		t.Fatalf("verify after tampering: %q %v", out, err)
	}
}

// verify walks volunteer requests' histories too.
func TestVerifyFindsATamperedHelpRequest(t *testing.T) {
	data, db, u := storeWithResident(t)
	ctx := context.Background()
	now := time.Now()
	r, err := civicgrid.HelpInput{Service: "meals", BuildingCode: "4201020010010010001"}.Check(now)
	if err != nil {
		t.Fatal(err)
	}
	r.PosterID, r.Poster = u.ID, "王*"
	if r, err = db.CreateHelpRequest(ctx, r, civicgrid.VolunteerEvent{At: now, ActorID: u.ID, Actor: "王*", Action: civicgrid.HelpActPosted}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StepHelp(ctx, r.ID, civicgrid.StepAccept, civicgrid.HelpChange{}, civicgrid.VolunteerEvent{At: now, Actor: "cli", Action: civicgrid.HelpActAccepted}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if out, err := runCmd(t, "verify", "--data", data); err != nil || !strings.Contains(out, "1 volunteer requests, 2 events checked; 0 broken") {
		t.Fatalf("verify: %q %v", out, err)
	}
	db, err = openTestStore(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`DELETE FROM volunteer_events WHERE request_id = $1 AND seq = 1`, r.ID); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err := runCmd(t, "verify", "--data", data)
	if err == nil || !strings.Contains(out, "BROKEN volunteer request "+strconv.FormatInt(r.ID, 10)) || !strings.Contains(out, "1 broken") {
		t.Fatalf("verify after tampering: %q %v", out, err)
	}
}

// verify checks the time bank: a balance changed without its entries, and
// an entry changed so the ledger no longer sums to zero, are both found.
func TestVerifyChecksTheTimeBank(t *testing.T) {
	data, db, u := storeWithResident(t)
	ctx := context.Background()
	now := time.Now()
	member, issuer := civicgrid.MemberAccount(u.ID), civicgrid.IssuerAccount("420102001001")
	for _, m := range []int{90, 30} {
		if err := db.Transfer(ctx, civicgrid.LedgerTransfer{From: issuer, To: member, Minutes: m, Kind: civicgrid.LedgerGrant, Reason: "敬老节", Actor: "cli", At: now}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if out, err := runCmd(t, "verify", "--data", data); err != nil || !strings.Contains(out, "2 time-bank accounts, 4 entries checked; sum 0; 0 problems") {
		t.Fatalf("verify: %q %v", out, err)
	}
	if db, err := openTestStore(ctx, data); err != nil {
		t.Fatal(err)
	} else {
		if _, err := db.SQL().Exec(`UPDATE timebank_accounts SET balance = balance + 600 WHERE account = $1`, member); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	out, err := runCmd(t, "verify", "--data", data)
	if err == nil || !strings.Contains(out, "LEDGER account "+member) || !strings.Contains(out, "1 problems") {
		t.Fatalf("verify after a balance was changed: %q %v", out, err)
	}
	if db, err := openTestStore(ctx, data); err != nil {
		t.Fatal(err)
	} else {
		if _, err := db.SQL().Exec(`UPDATE timebank_accounts SET balance = balance - 600 WHERE account = $1`, member); err != nil {
			t.Fatal(err)
		}
		// An entry inflated along with its balance: the account agrees,
		// the transfer and the ledger do not.
		if _, err := db.SQL().Exec(`UPDATE timebank_entries SET minutes = minutes + 60 WHERE account = $1 AND txn = 1`, member); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec(`UPDATE timebank_accounts SET balance = balance + 60 WHERE account = $1`, member); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	out, err = runCmd(t, "verify", "--data", data)
	if err == nil || !strings.Contains(out, "sums to 60 minutes") || !strings.Contains(out, "LEDGER transaction 1") || strings.Contains(out, "LEDGER account") {
		t.Fatalf("verify after an entry was changed: %q %v", out, err)
	}
}

// verify recounts closed votes: a ballot changed in the box after the close
// is found, though the vote's history is intact.
func TestVerifyRecountsVotes(t *testing.T) {
	useTestStore(t)
	data := t.TempDir()
	ctx := context.Background()
	db, err := openTestStore(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	var voters []civicgrid.User
	for i := range 3 {
		u, err := db.CreateUser(ctx, civicgrid.User{Name: "王五", Phone: fmt.Sprintf("1390000000%d", i), Kind: civicgrid.KindResident}, "",
			[]civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: "4201020010010010001"}}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
		if err != nil {
			t.Fatal(err)
		}
		voters = append(voters, u)
	}
	now := time.Now()
	v, err := civicgrid.VoteInput{AreaCode: "420102001001", Question: "是否同意？", Method: civicgrid.MethodYesNo, Hours: 1}.Check(now)
	if err != nil {
		t.Fatal(err)
	}
	if v, err = db.OpenVote(ctx, v, civicgrid.DefaultRollRoles, civicgrid.CogovEvent{At: now, Actor: "cli", Action: civicgrid.CogovVoteOpened}); err != nil {
		t.Fatal(err)
	}
	for _, u := range voters {
		_, hash := civicgrid.NewReceipt()
		if err := db.CastBallot(ctx, v.ID, u.ID, civicgrid.Ballot{ReceiptHash: hash, Choices: []string{"no"}}, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.CloseVote(ctx, v.ID, now, now.Add(time.Hour), civicgrid.CogovEvent{At: now, Actor: "cli", Action: civicgrid.CogovVoteClosed}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if out, err := runCmd(t, "verify", "--data", data); err != nil || !strings.Contains(out, "1 closed votes recounted from their ballots, 1 kept tallies checked against their ballot boxes; 0 differ") {
		t.Fatalf("verify: %q %v", out, err)
	}
	if db, err = openTestStore(ctx, data); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`UPDATE cogov_ballots SET choices = '["yes"]'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err := runCmd(t, "verify", "--data", data)
	if err == nil || !strings.Contains(out, fmt.Sprintf("MISCOUNT vote %d", v.ID)) || !strings.Contains(out, "1 differ") {
		t.Fatalf("verify after changing the ballots: %q %v", out, err)
	}
}

// verify checks kept tallies against their boxes: a line of an open vote's
// kept tally changed behind the box's back is found, and so is a result
// counted at the close from a changed tally.
func TestVerifyChecksKeptTally(t *testing.T) {
	useTestStore(t)
	data := t.TempDir()
	ctx := context.Background()
	db, err := openTestStore(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	var voters []civicgrid.User
	for i := range 3 {
		u, err := db.CreateUser(ctx, civicgrid.User{Name: "王五", Phone: fmt.Sprintf("1390000000%d", i), Kind: civicgrid.KindResident}, "",
			[]civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: "4201020010010010001"}}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
		if err != nil {
			t.Fatal(err)
		}
		voters = append(voters, u)
	}
	now := time.Now()
	var votes []civicgrid.Vote
	for range 2 {
		v, err := civicgrid.VoteInput{AreaCode: "420102001001", Question: "是否同意？", Method: civicgrid.MethodYesNo, Hours: 1}.Check(now)
		if err != nil {
			t.Fatal(err)
		}
		if v, err = db.OpenVote(ctx, v, civicgrid.DefaultRollRoles, civicgrid.CogovEvent{At: now, Actor: "cli", Action: civicgrid.CogovVoteOpened}); err != nil {
			t.Fatal(err)
		}
		for _, u := range voters {
			_, hash := civicgrid.NewReceipt()
			if err := db.CastBallot(ctx, v.ID, u.ID, civicgrid.Ballot{ReceiptHash: hash, Choices: []string{"no"}}, now); err != nil {
				t.Fatal(err)
			}
		}
		votes = append(votes, v)
	}
	db.Close()
	if out, err := runCmd(t, "verify", "--data", data); err != nil || !strings.Contains(out, "0 closed votes recounted from their ballots, 2 kept tallies checked against their ballot boxes; 0 differ") {
		t.Fatalf("verify: %q %v", out, err)
	}
	// Two "no" moved to "yes" in both tallies: the first vote stays open,
	// the second is closed on its tampered tally and publishes "passed".
	if db, err = openTestStore(ctx, data); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE cogov_tally SET n = n - 2 WHERE item = 'no'`, `INSERT INTO cogov_tally (vote_id, item, n, weight) SELECT id, 'yes', 2, 0 FROM cogov_votes`} {
		if _, err := db.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	closed, err := db.CloseVote(ctx, votes[1].ID, now, now.Add(time.Hour), civicgrid.CogovEvent{At: now, Actor: "cli", Action: civicgrid.CogovVoteClosed})
	if err != nil || !closed.Result.Passed {
		t.Fatalf("closed on the tampered tally: %+v %v", closed.Result, err)
	}
	db.Close()
	out, err := runCmd(t, "verify", "--data", data)
	for _, v := range votes {
		if err == nil || !strings.Contains(out, fmt.Sprintf("MISCOUNT vote %d: its kept tally (3 ballots) is not the count of its ballot box", v.ID)) {
			t.Fatalf("verify after changing the tallies, vote %d: %q %v", v.ID, out, err)
		}
	}
	if !strings.Contains(out, fmt.Sprintf("MISCOUNT vote %d: a recount of its 3 ballots does not give its published result", votes[1].ID)) ||
		!strings.Contains(out, "1 closed votes recounted from their ballots, 2 kept tallies checked against their ballot boxes; 2 differ") {
		t.Fatalf("verify after changing the tallies: %q", out)
	}
}

// The profiler is refused anywhere but loopback, and serves profiles there.
func TestDebugAddrLoopbackOnly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:0", ":0", "example.org:0"} {
		if err := serveDebug(ctx, addr); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("serveDebug(%q) = %v, want a refusal naming loopback", addr, err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if err := serveDebug(ctx, addr); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile:") {
		t.Fatalf("goroutine profile: %d %.200s", resp.StatusCode, body)
	}
}
