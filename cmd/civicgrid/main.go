// Command civicgrid runs civicgrid: the server, the demo city, migrations,
// area import and export, and tools for operators.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `civicgrid — grid-based community governance (网格化服务管理)

Usage:
  civicgrid <command> [flags]

Commands:
  serve      serve the API and web UI from a data directory (or --db postgres://…)
  demo       seed a demo city (Wuhan, 400 grids) if the store is empty, then serve it
  migrate    apply pending schema migrations (migrate status: list them)
  import     import areas: civicgrid import areas FILE.geojson
  export     export areas: civicgrid export areas [--within CODE] [--out FILE]
  generate   write a generated city as GeoJSON (--grids N scales to 10⁶)
  token      API tokens: token add --name N --role R --area CODE | token revoke ID
  user       staff accounts: user add | grant | reset | unlock | link-oidc (see 'civicgrid user')
  open311    Open311 api_keys: open311 key add NAME | open311 key revoke ID
  indicators check | rebuild: recompute indicator counters from the event log
  copy       copy a deployment into an empty store: copy --from DIR --to postgres://…, verified
  backup     backup --out FILE: a consistent snapshot of a running deployment (store, photos, keys) with checksums
  restore    restore FILE --data DIR: unpack a backup into an empty directory, check it, verify chains and indicators
  verify     check the hash chain of every case's, proposal's and vote's history; non-zero exit if one was tampered with
  version    print the version

Run 'civicgrid <command> -h' for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "civicgrid:", err)
		os.Exit(1)
	}
}

// run dispatches a command line; tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr, false)
	case "demo":
		return cmdServe(ctx, rest, stdout, stderr, true)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout, stderr)
	case "import":
		return cmdImport(ctx, rest, stdout, stderr)
	case "export":
		return cmdExport(ctx, rest, stdout, stderr)
	case "generate":
		return cmdGenerate(ctx, rest, stdout, stderr)
	case "token":
		return cmdToken(ctx, rest, stdout, stderr)
	case "user":
		return cmdUser(ctx, rest, os.Stdin, stdout, stderr)
	case "open311":
		return cmdOpen311(ctx, rest, stdout, stderr)
	case "indicators":
		return cmdIndicators(ctx, rest, stdout, stderr)
	case "verify":
		return cmdVerify(ctx, rest, stdout, stderr)
	case "backup":
		return cmdBackup(ctx, rest, stdout, stderr)
	case "restore":
		return cmdRestore(ctx, rest, stdout, stderr)
	case "copy":
		return cmdCopy(ctx, rest, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "civicgrid", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// newFlags makes a flag set that prints its usage to stderr and returns
// errors instead of exiting.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: civicgrid %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// dataFlag adds --data with its default from CIVICGRID_DATA.
// storeFlags name the store: the embedded SQLite store in a data directory
// (which also keeps photos and keys), or a PostgreSQL database.
type storeFlags struct {
	data, db *string
}

func dataFlag(fs *flag.FlagSet) *storeFlags {
	def := os.Getenv("CIVICGRID_DATA")
	if def == "" {
		def = "./civicgrid-data"
	}
	return &storeFlags{
		data: fs.String("data", def, "data directory: the embedded store, photos and keys (env CIVICGRID_DATA)"),
		db:   fs.String("db", os.Getenv("CIVICGRID_DB"), "a postgres://user@host/db URL to keep the data in PostgreSQL instead of the embedded store (env CIVICGRID_DB)"),
	}
}

// dir is the data directory.
func (f *storeFlags) dir() string { return *f.data }

// open opens the store and applies pending migrations.
func (f *storeFlags) open(ctx context.Context) (*sqlstore.DB, error) {
	return sqlstore.Open(ctx, *f.db, *f.data)
}

// openUnmigrated opens the store as it is, applying no migration.
func (f *storeFlags) openUnmigrated(ctx context.Context) (*sqlstore.DB, error) {
	return sqlstore.OpenUnmigrated(ctx, *f.db, *f.data)
}

// describe formats an error with its itemised problems for a terminal.
func describe(err error) error {
	var e *civicgrid.Error
	if errors.As(err, &e) {
		return errors.New(e.Error())
	}
	return err
}

// parseArgs parses flags that may stand before, between or after the
// positional arguments (the standard flag package stops at the first
// positional one), and returns the positional arguments. After "--"
// everything is positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseFlags parses a command that takes flags only: a stray argument is an
// error rather than the silent end of the flags.
func parseFlags(fs *flag.FlagSet, args []string) error {
	pos, err := parseArgs(fs, args)
	if err == nil && len(pos) > 0 {
		fs.Usage()
		err = fmt.Errorf("%s: unexpected argument %q", fs.Name(), pos[0])
	}
	return err
}
