package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/civicgrid/civicgrid/sqlstore"
)

// cmdCopy moves a deployment between stores, typically from the embedded
// store to PostgreSQL when one district becomes a city. The source may keep
// serving: the copy is of one snapshot of it.
func cmdCopy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("copy", "copy --from DIR|postgres://… --to postgres://…|DIR", stderr)
	from := fs.String("from", "", "the store to copy: a data directory (embedded store) or a postgres:// URL")
	to := fs.String("to", "", "the empty store to copy into: a postgres:// URL or a data directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		fs.Usage()
		return errors.New("copy: give --from and --to")
	}
	if *from == *to {
		return errors.New("copy: --from and --to name the same store")
	}
	src, err := openNamed(ctx, *from)
	if err != nil {
		return fmt.Errorf("copy: source: %w", err)
	}
	defer src.Close()
	dst, err := openNamed(ctx, *to)
	if err != nil {
		return fmt.Errorf("copy: target: %w", err)
	}
	defer dst.Close()
	rep, err := sqlstore.Copy(ctx, src, dst)
	if err != nil {
		return err
	}
	tables := make([]string, 0, len(rep.Rows))
	var total int64
	for t, n := range rep.Rows {
		tables = append(tables, fmt.Sprintf("%s %d", t, n))
		total += n
	}
	slices.Sort(tables)
	fmt.Fprintf(stdout, "copied %d rows (%s) from one snapshot of the source\nverified before committing: every row of every table equal to the snapshot's; %d case histories' and %d proposals' and votes' hash chains intact\n",
		total, strings.Join(tables, ", "), rep.Chains, rep.CogovChains)
	return nil
}

// openNamed opens a store named by a postgres:// URL or a data directory.
func openNamed(ctx context.Context, name string) (*sqlstore.DB, error) {
	if sqlstore.IsPostgresURL(name) {
		return sqlstore.OpenPostgres(ctx, name)
	}
	return sqlstore.OpenSQLite(ctx, name)
}
