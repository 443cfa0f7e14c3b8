package main

import (
	"context"
	"fmt"
	"io"

	"github.com/civicgrid/civicgrid/sqlstore"
)

// cmdIndicators recomputes the indicator counters from the event log:
// "check" reports differences from the stored rollups (non-zero exit if
// any), "rebuild" replaces the stored ones.
func cmdIndicators(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("indicators", "indicators check|rebuild [--data DIR]", stderr)
	data := dataFlag(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "check" && pos[0] != "rebuild") {
		return fmt.Errorf("indicators: want 'indicators check' or 'indicators rebuild'")
	}
	sub := pos[0]
	db, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return checkIndicators(ctx, db, sub == "rebuild", stdout)
}

// checkIndicators recomputes the counters of db from its event log and
// reports (or, with rebuild, corrects) the differences; an error when
// checking finds any.
func checkIndicators(ctx context.Context, db *sqlstore.DB, rebuild bool, stdout io.Writer) error {
	sub := "check"
	if rebuild {
		sub = "rebuild"
	}
	diffs, err := db.RebuildRollups(ctx, rebuild)
	if err != nil {
		return err
	}
	for _, d := range diffs {
		fmt.Fprintln(stdout, d)
	}
	switch {
	case len(diffs) == 0:
		fmt.Fprintln(stdout, "indicator counters match the event log")
	case sub == "rebuild":
		fmt.Fprintf(stdout, "rebuilt: %d differences corrected\n", len(diffs))
	default:
		return fmt.Errorf("indicators: %d differences between the counters and the event log (run 'indicators rebuild')", len(diffs))
	}
	return nil
}
