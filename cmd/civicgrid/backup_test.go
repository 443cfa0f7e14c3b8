package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// TestBackupUnderLoadAndRestore backs up a running server while reports
// keep arriving, restores the archive into an empty directory, and checks
// that every case acknowledged before the backup began is there, that the
// chains verify and the indicators match (restore runs both), and that the
// photos and keys came along. A damaged archive and a non-empty target are
// refused and leave nothing behind. On PostgreSQL the database is taken
// with pg_dump and put back with pg_restore, as docs/operations.md says,
// and the archive holds the files beside it.
func TestBackupUnderLoadAndRestore(t *testing.T) {
	useTestStore(t)
	pgURL := os.Getenv("CIVICGRID_DB")
	data := t.TempDir()
	srv := startServer(t, data)
	defer srv.kill()
	client := &http.Client{Timeout: 10 * time.Second}
	call := func(method, path, ctype string, body []byte) (int, []byte) {
		req, _ := http.NewRequest(method, srv.base+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.token)
		req.Header.Set("Content-Type", ctype)
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	// A photo, then reports naming it.
	st, b := call("POST", "api/v1/photos", "image/jpeg", testJPEG())
	var saved struct {
		Ref string `json:"ref"`
	}
	if json.Unmarshal(b, &saved); st != http.StatusCreated || saved.Ref == "" {
		t.Fatalf("photo upload: %d %s", st, b)
	}

	var (
		mu    sync.Mutex
		acked = map[int64]time.Time{} // case id → when its answer arrived
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				body := fmt.Sprintf(`{"category":"C0005","description":"水管破裂 %d-%d","lat":%.6f,"lng":114.2986,"photos":[%q]}`,
					w, n, 30.5928+float64(n%50)*1e-5, saved.Ref)
				st, b := call("POST", "api/v1/cases", "application/json", []byte(body))
				var in struct {
					Case struct{ ID int64 } `json:"case"`
				}
				if st != http.StatusCreated || json.Unmarshal(b, &in) != nil {
					t.Errorf("report: %d %s", st, b)
					return
				}
				mu.Lock()
				acked[in.Case.ID] = time.Now()
				mu.Unlock()
			}
		}()
	}
	waitFor := func(n int) {
		for deadline := time.Now().Add(time.Minute); count() < n; time.Sleep(5 * time.Millisecond) {
			if t.Failed() || time.Now().After(deadline) {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("intake stalled at %d reports", count())
			}
		}
	}
	waitFor(60)
	archive := filepath.Join(t.TempDir(), "civicgrid.tar")
	dump := filepath.Join(t.TempDir(), "civicgrid.dump")
	began := time.Now()
	if pgURL != "" {
		if out, err := exec.Command("pg_dump", "--format=custom", "--file="+dump, pgURL).CombinedOutput(); err != nil {
			t.Fatalf("pg_dump: %v\n%s", err, out)
		}
	}
	if out, err := runCmd(t, "backup", "--data", data, "--out", archive); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	mu.Lock()
	var before []int64
	for id, at := range acked {
		if at.Before(began) {
			before = append(before, id)
		}
	}
	mu.Unlock()
	waitFor(count() + 30) // the server kept taking reports
	stop.Store(true)
	wg.Wait()
	if out, err := runCmd(t, "backup", "--data", data, "--out", archive); err == nil || !strings.Contains(out+err.Error(), "exists") {
		t.Errorf("a second backup over the first was not refused: %v", err)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	restoreArgs := []string{"restore", archive, "--data", restored}
	restoredURL := ""
	if pgURL != "" {
		// The files-only archive is refused without a database.
		if _, err := runCmd(t, "restore", archive, "--db", "", "--data", filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), "pg_restore") {
			t.Errorf("a PostgreSQL archive restored without --db: %v", err)
		}
		restoredURL = testdb.URL(t)
		if out, err := exec.Command("pg_restore", "--no-owner", "--exit-on-error", "--dbname="+restoredURL, dump).CombinedOutput(); err != nil {
			t.Fatalf("pg_restore: %v\n%s", err, out)
		}
		restoreArgs = append(restoreArgs, "--db", restoredURL)
	}
	out, err := runCmd(t, restoreArgs...)
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if !strings.Contains(out, "0 broken chains") || !strings.Contains(out, "indicator counters match") {
		t.Errorf("restore did not verify the chains and the indicators:\n%s", out)
	}
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, restoredURL, restored)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range before {
		if _, err := db.CaseByID(ctx, id); err != nil {
			t.Errorf("case %d, acknowledged before the backup began, is not in it: %v", id, err)
		}
	}
	var inBackup int
	db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM cases`).Scan(&inBackup)
	db.Close()
	if inBackup < len(before) || inBackup >= count() {
		t.Errorf("%d cases in the backup: want at least the %d acknowledged before it and fewer than the %d acknowledged in all", inBackup, len(before), count())
	}
	t.Logf("%d cases acknowledged before the backup began, %d in it, %d acknowledged in all", len(before), inBackup, count())
	// The photo and the keys came along, byte for byte.
	for _, rel := range []string{"webhook.key", "vapid.key", filepath.Join("photos", saved.Ref[:2], saved.Ref[2:4], saved.Ref)} {
		want, err1 := os.ReadFile(filepath.Join(data, rel))
		got, err2 := os.ReadFile(filepath.Join(restored, rel))
		if err1 != nil || err2 != nil || !bytes.Equal(want, got) || len(want) == 0 {
			t.Errorf("%s not restored as it was (%v, %v)", rel, err1, err2)
		}
	}

	// A non-empty target is refused.
	if _, err := runCmd(t, "restore", archive, "--data", restored); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("restore into a non-empty directory: %v", err)
	}
	// A damaged archive is refused, and leaves nothing behind.
	raw, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	raw[512+100] ^= 0xff // inside the first file
	damaged := filepath.Join(t.TempDir(), "damaged.tar")
	os.WriteFile(damaged, raw, 0o600)
	empty := filepath.Join(t.TempDir(), "empty")
	if _, err := runCmd(t, "restore", damaged, "--db", restoredURL, "--data", empty); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("a damaged archive: %v", err)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("a refused restore left %d entries behind", len(entries))
	}
}

// testJPEG is a small JPEG image.
func testJPEG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		img.Set(x, x%48, color.RGBA{200, 30, 30, 255})
	}
	var jpg bytes.Buffer
	jpeg.Encode(&jpg, img, nil)
	return jpg.Bytes()
}
