package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/areaio"
	"github.com/civicgrid/civicgrid/democity"
)

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "migrate [up|status] [flags]", stderr)
	data := dataFlag(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	action := "up"
	if len(pos) > 0 {
		action = pos[0]
	}
	if len(pos) > 1 {
		return fmt.Errorf("migrate: unexpected argument %q", pos[1])
	}
	if action != "up" && action != "status" {
		return fmt.Errorf("migrate: unknown action %q (want up or status)", action)
	}
	// status lists without applying; up opens the store, which migrates.
	open := data.open
	if action == "status" {
		open = data.openUnmigrated
	}
	db, err := open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, m := range st {
		state := "pending"
		if !m.AppliedAt.IsZero() {
			state = "applied " + m.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "%04d  %-30s %s\n", m.Version, m.Name, state)
	}
	return nil
}

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import", "import areas [flags] FILE.geojson   (FILE - reads standard input)", stderr)
	data := dataFlag(fs)
	opts := importFlags(fs)
	if len(args) == 0 || args[0] != "areas" {
		fs.Usage()
		return fmt.Errorf("import: say what to import: civicgrid import areas FILE.geojson")
	}
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("import areas: give exactly one FILE (or - for standard input)")
	}
	file := pos[0]
	in, closeIn, err := openInput(file)
	if err != nil {
		return err
	}
	defer closeIn()
	db, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := areaio.Import(ctx, db, in, *opts)
	if err != nil {
		return fmt.Errorf("import areas from %s: nothing imported: %w", file, describe(err))
	}
	fmt.Fprintf(stdout, "imported areas from %s: %s\n", file, res)
	return nil
}

// importFlags adds the validation settings of an import.
func importFlags(fs interface {
	Float64Var(*float64, string, float64, string)
	Int64Var(*int64, string, int64, string)
}) *areaio.Options {
	o := areaio.DefaultOptions()
	fs.Int64Var(&o.MaxBytes, "max-bytes", o.MaxBytes, "largest accepted file in bytes")
	fs.Float64Var(&o.OutsideToleranceM2, "outside-tolerance-m2", o.OutsideToleranceM2, "area (m²) a child may stick out of its parent before it is an error")
	fs.Float64Var(&o.OverlapToleranceM2, "overlap-tolerance-m2", o.OverlapToleranceM2, "area (m²) two grids may overlap before it is an error")
	fs.Float64Var(&o.GapToleranceM2, "gap-tolerance-m2", o.GapToleranceM2, "area (m²) of a community its grids may leave uncovered before it is an error")
	return &o
}

func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", "export areas [flags]", stderr)
	data := dataFlag(fs)
	within := fs.String("within", "", "only this area's subtree (a code prefix)")
	out := fs.String("out", "-", "output file (- for standard output)")
	personal := fs.Bool("with-personal-data", false, "write grid workers' phone numbers unmasked (for a backup or a move; keep the file safe)")
	if len(args) == 0 || args[0] != "areas" {
		fs.Usage()
		return fmt.Errorf("export: say what to export: civicgrid export areas")
	}
	if pos, err := parseArgs(fs, args[1:]); err != nil {
		return err
	} else if len(pos) > 0 {
		return fmt.Errorf("export areas: unexpected argument %q", pos[0])
	}
	db, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	areas, err := db.CurrentAreas(ctx, civicgrid.AreaFilter{Within: *within})
	if err != nil {
		return err
	}
	if !*personal {
		for i := range areas {
			for j := range areas[i].Workers {
				areas[i].Workers[j] = areas[i].Workers[j].Public()
			}
		}
	}
	return writeOutput(*out, stdout, func(w io.Writer) error { return areaio.Encode(w, areas) })
}

func cmdGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("generate", "generate [flags]", stderr)
	grids := fs.Int("grids", 400, "number of grids")
	seed := fs.Int64("seed", 1, "seed: the same seed and size give the same city")
	out := fs.String("out", "-", "output GeoJSON file (- for standard output)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	start := time.Now()
	city, err := democity.Generate(democity.Options{Seed: *seed, Grids: *grids})
	if err != nil {
		return err
	}
	err = writeOutput(*out, stdout, func(w io.Writer) error { return areaio.Encode(w, city.Areas) })
	if err == nil && *out != "-" {
		fmt.Fprintf(stderr, "wrote %d areas to %s in %s\n", len(city.Areas), *out, time.Since(start).Round(time.Millisecond))
	}
	return err
}

func openInput(name string) (io.Reader, func(), error) {
	if name == "-" {
		return os.Stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// writeOutput writes through a buffer to stdout or to a file that appears
// only once complete (written beside it, then renamed).
func writeOutput(name string, stdout io.Writer, write func(io.Writer) error) error {
	if name == "-" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	tmp := name + ".partial"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, name)
}
