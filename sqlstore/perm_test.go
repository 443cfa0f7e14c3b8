package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDataFilesOwnerOnly: the data directory is made 0700 and the database
// with its -wal and -shm files 0600 whatever the umask; an existing
// world-readable database is tightened.
func TestDataFilesOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	db, err := OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, "CREATE TABLE perm_probe (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: data directory %v %v, want 0700", when, fi.Mode().Perm(), err)
		}
		for _, name := range []string{"civicgrid.db", "civicgrid.db-wal", "civicgrid.db-shm"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s %v %v, want 0600", when, name, fi.Mode().Perm(), err)
			}
		}
	}
	check("new")
	db.Close()
	os.Chmod(filepath.Join(dir, "civicgrid.db"), 0o644)
	if db, err = OpenSQLite(ctx, dir); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check("reopened")
}
