package main

import (
	"context"
	"strings"
	"testing"
)

// verify recounts the notices' stored audience counts from the grants and
// fails on a row that differs.
func TestVerifyAudienceCounts(t *testing.T) {
	data, db, _ := storeWithResident(t)
	db.Close()
	out, err := runCmd(t, "verify", "--data", data)
	if err != nil || !strings.Contains(out, "audience counts checked against the role grants; 0 differ") {
		t.Fatalf("verify: %q %v", out, err)
	}
	db, err = openTestStore(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`UPDATE area_audience_counts SET people = 7 WHERE area_code = '420102001001' AND role = 'resident'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err = runCmd(t, "verify", "--data", data)
	if err == nil || !strings.Contains(out, "AUDIENCE area 420102001001 role resident: 7 stored, 1 counted") || !strings.Contains(out, "1 differ") {
		t.Fatalf("verify after a count was changed: %q %v", out, err)
	}
}
