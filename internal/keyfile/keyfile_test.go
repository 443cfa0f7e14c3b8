package keyfile

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestReadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "some.key")
	n := 0
	mk := func() ([]byte, error) { n++; return []byte{byte('a' + n)}, nil }
	first, err := ReadOrCreate(path, mk)
	if err != nil || string(first) != "b" {
		t.Fatalf("first: %q %v", first, err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v %v", st, err)
	}
	// Later starts read the same key and make none.
	again, err := ReadOrCreate(path, mk)
	if err != nil || string(again) != "b" || n != 1 {
		t.Fatalf("again: %q %v (made %d)", again, err, n)
	}
	// A key that cannot be made leaves no file behind.
	other := filepath.Join(t.TempDir(), "other.key")
	if _, err := ReadOrCreate(other, func() ([]byte, error) { return nil, errors.New("no entropy") }); err == nil {
		t.Fatal("no error")
	}
	if _, err := os.Stat(other); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file was left: %v", err)
	}
}

// Processes starting together end up with one key.
func TestReadOrCreateAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.key")
	var wg sync.WaitGroup
	got := make([]string, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := ReadOrCreate(path, func() ([]byte, error) { return []byte{byte('A' + i)}, nil })
			if err != nil {
				t.Error(err)
			}
			got[i] = string(b)
		}()
	}
	wg.Wait()
	for _, g := range got {
		if g != got[0] {
			t.Fatalf("different keys: %q", got)
		}
	}
}
