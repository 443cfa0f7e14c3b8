package photo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// fullFile is a file on a full disk: every write fails with ENOSPC.
type fullFile struct{ *os.File }

func (f fullFile) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

// TestSaveOnAFullDisk: an upload that cannot be written says the disk is
// full (which the server answers 507), leaves no partial file, and the
// store's health says so for the minute after.
func TestSaveOnAFullDisk(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(dir, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	s.create = func(dir, pattern string) (file, error) {
		f, err := os.CreateTemp(dir, pattern)
		return fullFile{f}, err
	}
	if err := s.Health(); err != nil {
		t.Fatalf("health before: %v", err)
	}
	_, err = s.Save(context.Background(), bytes.NewReader(testJPEG(t, 64, 48, 1)))
	if !errors.Is(err, syscall.ENOSPC) || civicgrid.ErrorCode(err) != civicgrid.ENOSPACE {
		t.Fatalf("save on a full disk: %v (code %s)", err, civicgrid.ErrorCode(err))
	}
	if err := s.Health(); err == nil {
		t.Error("health does not tell of the full disk")
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("a file was left behind: %s", p)
		}
		return nil
	})
}
