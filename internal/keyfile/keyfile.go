// Package keyfile keeps a server's secret keys in files of their own
// (0600 under the data directory), made on first start: a copy of the
// database alone then carries none of them.
package keyfile

import (
	"errors"
	"os"
	"path/filepath"
)

// ReadOrCreate returns the file's contents, writing make's first if the
// file is missing. The key is written and synced to a temporary file that
// is then linked to path, so no reader ever sees a half-written key and a
// crash never leaves one; two processes starting at once agree, as only one
// link succeeds and the other reads it.
func ReadOrCreate(path string, make func() ([]byte, error)) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return b, err
	}
	content, err := make()
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Link(f.Name(), path); errors.Is(err, os.ErrExist) { // made meanwhile by another process
		return os.ReadFile(path)
	} else if err != nil {
		return nil, err
	}
	if d, err := os.Open(dir); err == nil { // the link itself survives a crash
		d.Sync()
		d.Close()
	}
	return content, nil
}
