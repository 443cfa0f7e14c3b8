package main

import (
	"context"
	"fmt"
	"io"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// cmdVerify checks every case's hash-chained history and reports the cases
// whose chain is broken (an event altered, removed or inserted).
func cmdVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify", "verify [--data DIR]", stderr)
	data := dataFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return verifyChains(ctx, db, stdout)
}

// verifyChains checks every case's chain in db; an error when one is broken.
func verifyChains(ctx context.Context, db *sqlstore.DB, stdout io.Writer) error {
	cases, events, broken := 0, 0, 0
	err := db.ForEachCaseChain(ctx, func(id int64, evs []civicgrid.CaseEvent) error {
		cases++
		events += len(evs)
		if err := civicgrid.VerifyChain(evs); err != nil {
			broken++
			fmt.Fprintln(stdout, "BROKEN", civicgrid.ErrorMessage(err))
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d cases, %d events checked; %d broken chains\n", cases, events, broken)
	if broken > 0 {
		return fmt.Errorf("verify: %d case histories were tampered with", broken)
	}
	return nil
}
