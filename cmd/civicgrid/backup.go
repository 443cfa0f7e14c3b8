package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/sqlstore"
)

// A backup is one tar archive: the embedded store as a consistent snapshot
// (VACUUM INTO, taken while servers keep writing), then every other file of
// the data directory (photos, the webhook and push keys), then
// manifest.json with each file's size and SHA-256. On PostgreSQL the
// database is taken with pg_dump (docs/operations.md) and the archive holds
// the files beside it.

const (
	backupFormat   = "civicgrid-backup/1"
	manifestName   = "manifest.json"
	storeSQLite    = "sqlite"
	storePostgres  = "postgresql"
	snapshotPrefix = ".civicgrid-snapshot-"
)

type backupManifest struct {
	Format    string    `json:"format"`
	Version   string    `json:"civicgrid_version"`
	CreatedAt time.Time `json:"created_at"`
	// Store is sqlite (the database is in the archive) or postgresql (it
	// is not: take it with pg_dump).
	Store string         `json:"store"`
	Files []backupedFile `json:"files"`
}

type backupedFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// skipInBackup are the live store's files, replaced by the snapshot, and
// files being written (a photo or key file is written under a dot name and
// renamed when complete; a backup's own temporary files).
func skipInBackup(rel string) bool {
	switch rel {
	case sqlstore.SQLiteFile, sqlstore.SQLiteFile + "-wal", sqlstore.SQLiteFile + "-shm", sqlstore.SQLiteFile + "-journal":
		return true
	}
	return strings.HasPrefix(path.Base(rel), ".")
}

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", "backup --out FILE [--data DIR] [--db postgres://…]", stderr)
	data := dataFlag(fs)
	out := fs.String("out", "", "the archive to write (must not exist)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errors.New("backup: --out FILE is required")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("backup: %s exists; name a new file", *out)
	}
	if fi, err := os.Stat(data.dir()); err != nil || !fi.IsDir() {
		return fmt.Errorf("backup: no data directory at %s", data.dir())
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".civicgrid-backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	m := backupManifest{Format: backupFormat, Version: version, CreatedAt: time.Now().UTC(), Store: storeSQLite}
	tw := tar.NewWriter(tmp)
	if *data.db != "" {
		m.Store = storePostgres
	} else {
		// The snapshot first: every photo a snapshotted case names was
		// saved before its case, so it is in the copy taken after.
		snap := filepath.Join(data.dir(), snapshotPrefix+fmt.Sprint(time.Now().UnixNano()))
		defer os.Remove(snap)
		if err := sqlstore.SnapshotSQLite(ctx, data.dir(), snap); err != nil {
			return err
		}
		f, err := addToArchive(tw, snap, sqlstore.SQLiteFile)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, f)
	}
	var rels []string
	err = filepath.WalkDir(data.dir(), func(p string, d iofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(data.dir(), p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); !skipInBackup(rel) {
			rels = append(rels, rel)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(rels)
	for _, rel := range rels {
		f, err := addToArchive(tw, filepath.Join(data.dir(), filepath.FromSlash(rel)), rel)
		if errors.Is(err, iofs.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return err
		}
		m.Files = append(m.Files, f)
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(body)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := tw.Write(body); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	var size int64
	for _, f := range m.Files {
		size += f.Size
	}
	fmt.Fprintf(stdout, "backup %s: %d files, %d bytes (store: %s)\n", *out, len(m.Files), size, m.Store)
	if m.Store == storePostgres {
		fmt.Fprintln(stdout, "The PostgreSQL database is not in the archive: take it with pg_dump (docs/operations.md).")
	}
	return nil
}

// addToArchive writes the file at p into the archive as name.
func addToArchive(tw *tar.Writer, p, name string) (backupedFile, error) {
	f, err := os.Open(p)
	if err != nil {
		return backupedFile{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return backupedFile{}, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime(), Typeflag: tar.TypeReg}); err != nil {
		return backupedFile{}, err
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(tw, h), f, fi.Size()); err != nil {
		return backupedFile{}, fmt.Errorf("archive %s: %w", name, err)
	}
	return backupedFile{Path: name, Size: fi.Size(), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("restore", "restore FILE --data DIR [--db postgres://…]", stderr)
	data := dataFlag(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errors.New("restore: name one backup archive")
	}
	dir := data.dir()
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("restore: %s is not empty; restore into a new or empty directory", dir)
	} else if err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	m, err := unpackBackup(pos[0], dir)
	if err != nil {
		clearDir(dir)
		return fmt.Errorf("restore: %w (nothing restored)", err)
	}
	switch {
	case m.Store == storeSQLite && *data.db != "":
		clearDir(dir)
		return errors.New("restore: this backup holds the embedded store; restore it without --db")
	case m.Store == storePostgres && *data.db == "":
		clearDir(dir)
		return errors.New("restore: this backup holds the files beside a PostgreSQL database: restore the database with pg_restore first, then run restore with --db")
	}
	fmt.Fprintf(stdout, "restored %d files from %s (taken %s by civicgrid %s) into %s\n", len(m.Files), pos[0], m.CreatedAt.Format(time.RFC3339), m.Version, dir)
	db, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := verifyStore(ctx, db, stdout); err != nil {
		return err
	}
	return checkIndicators(ctx, db, false, stdout)
}

// unpackBackup extracts the archive into dir, checking every file against
// the manifest.
func unpackBackup(file, dir string) (backupManifest, error) {
	var m backupManifest
	f, err := os.Open(file)
	if err != nil {
		return m, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	got := map[string]backupedFile{}
	haveManifest := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, fmt.Errorf("read the archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg || !filepath.IsLocal(filepath.FromSlash(h.Name)) || strings.Contains(h.Name, `\`) {
			return m, fmt.Errorf("the archive holds %q, which is not a plain file inside it", h.Name)
		}
		if h.Name == manifestName {
			if err := json.NewDecoder(io.LimitReader(tr, 64<<20)).Decode(&m); err != nil {
				return m, fmt.Errorf("manifest: %w", err)
			}
			haveManifest = true
			continue
		}
		if _, dup := got[h.Name]; dup {
			return m, fmt.Errorf("the archive holds %s twice", h.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return m, err
		}
		out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return m, err
		}
		hash := sha256.New()
		n, err := io.Copy(io.MultiWriter(out, hash), tr)
		if err == nil {
			err = out.Sync()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return m, fmt.Errorf("write %s: %w", h.Name, err)
		}
		got[h.Name] = backupedFile{Path: h.Name, Size: n, SHA256: hex.EncodeToString(hash.Sum(nil))}
	}
	if !haveManifest {
		return m, errors.New("the archive has no manifest: not a civicgrid backup, or cut short")
	}
	if m.Format != backupFormat {
		return m, fmt.Errorf("the archive's format is %q, not %s", m.Format, backupFormat)
	}
	for _, want := range m.Files {
		have, ok := got[want.Path]
		if !ok {
			return m, fmt.Errorf("%s is missing from the archive", want.Path)
		}
		if have != want {
			return m, fmt.Errorf("%s does not match its checksum (archive damaged)", want.Path)
		}
		delete(got, want.Path)
	}
	for p := range got {
		return m, fmt.Errorf("%s is in the archive but not in its manifest", p)
	}
	return m, nil
}

// clearDir removes what a failed restore wrote into dir (empty before).
func clearDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}
