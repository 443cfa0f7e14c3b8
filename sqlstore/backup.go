package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
)

// SQLiteFile is the embedded store's file in a data directory.
const SQLiteFile = "civicgrid.db"

// SnapshotSQLite writes a consistent copy of the embedded store in dataDir
// to dest (which must not exist) with VACUUM INTO, while servers keep
// writing: the copy is the database as of one read transaction, every
// commit before it and none after, compacted, without a WAL beside it.
func SnapshotSQLite(ctx context.Context, dataDir, dest string) error {
	path := filepath.Join(dataDir, SQLiteFile)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no embedded store in %s: %w", dataDir, err)
	}
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	if _, err := conn.ExecContext(ctx, `VACUUM INTO $1`, dest); err != nil {
		return fmt.Errorf("snapshot %s: %w", path, err)
	}
	return os.Chmod(dest, 0o600)
}
