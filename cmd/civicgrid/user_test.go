package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/password"
)

// withDemoAreas makes a data directory holding a small generated city.
func withDemoAreas(t *testing.T) (data, district, grid string) {
	t.Helper()
	data = t.TempDir()
	out := t.TempDir() + "/city.geojson"
	if _, err := runCmd(t, "generate", "--grids", "100", "--out", out); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, "import", "areas", "--data", data, out); err != nil {
		t.Fatal(err)
	}
	db, err := openTestStore(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	grids, err := db.CurrentAreas(context.Background(), civicgrid.AreaFilter{Level: civicgrid.LevelGrid, Limit: 1})
	if err != nil || len(grids) == 0 {
		t.Fatalf("no grids: %v", err)
	}
	return data, grids[0].Code[:6], grids[0].Code
}

func TestUserCommands(t *testing.T) {
	useTestStore(t)
	data, district, grid := withDemoAreas(t)
	// Bad input: nothing is written.
	for _, args := range [][]string{
		{"--phone", "13812345678", "--name", "张三", "--role", "emperor", "--area", district},
		{"--phone", "13812345678", "--name", "张三", "--role", civicgrid.RoleDistrictAdmin, "--area", "999999"},
		{"--phone", "12345", "--name", "张三", "--role", civicgrid.RoleDistrictAdmin, "--area", district},
		{"--phone", "13812345678", "--name", "张三", "--role", civicgrid.RoleGridWorker, "--area", district},
		{"--phone", "13812345678", "--role", civicgrid.RoleDistrictAdmin, "--area", district},
	} {
		if out, err := runCmd(t, append([]string{"user", "add", "--data", data}, args...)...); err == nil {
			t.Errorf("user add %v succeeded: %s", args, out)
		}
	}
	out, err := runCmd(t, "user", "add", "--data", data, "--phone", "13812345678", "--name", "张三", "--role", civicgrid.RoleDistrictAdmin, "--area", district)
	m := regexp.MustCompile(`temporary password[^:]*: (\S+)`).FindStringSubmatch(out)
	if err != nil || m == nil || strings.Contains(out, "13812345678") {
		t.Fatalf("user add: %q %v", out, err)
	}
	if _, err := runCmd(t, "user", "add", "--data", data, "--phone", "13812345678", "--name", "李四", "--role", civicgrid.RoleDistrictAdmin, "--area", district); err == nil {
		t.Error("a second account with the same phone was made")
	}
	if out, err := runCmd(t, "user", "grant", "--data", data, "13812345678", "--role", civicgrid.RoleGridWorker, "--area", grid); err != nil {
		t.Fatalf("user grant: %q %v", out, err)
	}
	out, err = runCmd(t, "user", "reset", "--data", data, "13812345678")
	m2 := regexp.MustCompile(`temporary password[^:]*: (\S+)`).FindStringSubmatch(out)
	if err != nil || m2 == nil || m2[1] == m[1] {
		t.Fatalf("user reset: %q %v", out, err)
	}
	if out, err := runCmd(t, "user", "unlock", "--data", data, "13812345678"); err != nil {
		t.Fatalf("user unlock: %q %v", out, err)
	}
	if _, err := runCmd(t, "user", "unlock", "--data", data, "13900000000"); err == nil {
		t.Error("unlocking an unknown phone succeeded")
	}

	db, err := openTestStore(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec, err := db.LoginRecordByPhone(context.Background(), "13812345678")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.User.Grants) != 2 || !rec.User.MustChangePassword {
		t.Errorf("user after add, grant, reset: grants %+v, must change %v", rec.User.Grants, rec.User.MustChangePassword)
	}
	if ok, _, _ := password.Verify(m[1], rec.PasswordHash, password.Default); ok {
		t.Error("the first temporary password still works after the reset")
	}
	if ok, _, _ := password.Verify(m2[1], rec.PasswordHash, password.Default); !ok {
		t.Error("the reset's temporary password does not work")
	}
	evs, err := db.ListSecurityEvents(context.Background(), civicgrid.EventFilter{Within: []string{"420100"}, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, e := range evs {
		kinds[e.Kind] = true
	}
	for _, k := range []string{civicgrid.EventUserCreated, civicgrid.EventRoleGranted, civicgrid.EventPasswordReset, civicgrid.EventAccountUnlocked} {
		if !kinds[k] {
			t.Errorf("no %s event in the security log", k)
		}
	}
}

func TestDemoAccountsSeedOnce(t *testing.T) {
	useTestStore(t)
	data, _, _ := withDemoAreas(t)
	ctx := context.Background()
	db, err := openTestStore(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for range 2 {
		if err := seedDemoAccounts(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	users, err := db.ListUsers(ctx, civicgrid.UserFilter{Within: []string{"420100"}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	demo := 0
	for _, u := range users {
		if strings.HasPrefix(u.Phone, "199000000") {
			demo++
			if len(u.Grants) != 1 {
				t.Errorf("demo account %s holds %d grants", u.Phone, len(u.Grants))
			}
		}
	}
	if demo != len(civicgrid.Roles) {
		t.Errorf("%d demo accounts after seeding twice, want %d", demo, len(civicgrid.Roles))
	}
}
