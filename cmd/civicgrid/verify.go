package main

import (
	"context"
	"fmt"
	"io"

	"github.com/civicgrid/civicgrid"
)

// cmdVerify checks every case's, proposal's, vote's and volunteer request's
// hash-chained history
// and reports those whose chain is broken (an event altered, removed or
// inserted).
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
	cases, events, broken, err := verifyChains(ctx, stdout, db.ForEachCaseChain, civicgrid.VerifyChain)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d cases, %d events checked; %d broken chains\n", cases, events, broken)
	subjects, cevents, cbroken, err := verifyChains(ctx, stdout, db.ForEachCogovChain, civicgrid.VerifyCogovChain)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d proposals and votes, %d events checked; %d broken chains\n", subjects, cevents, cbroken)
	requests, vevents, vbroken, err := verifyChains(ctx, stdout, db.ForEachVolunteerChain, civicgrid.VerifyVolunteerChain)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d volunteer requests, %d events checked; %d broken chains\n", requests, vevents, vbroken)
	if broken+cbroken+vbroken > 0 {
		return fmt.Errorf("verify: %d case, %d co-governance and %d volunteer histories were tampered with", broken, cbroken, vbroken)
	}
	return nil
}

// verifyChains walks one module's histories, printing each broken one.
func verifyChains[K, E any](ctx context.Context, stdout io.Writer, forEach func(context.Context, func(K, []E) error) error,
	verify func([]E) error) (subjects, events, broken int, err error) {
	err = forEach(ctx, func(_ K, evs []E) error {
		subjects++
		events += len(evs)
		if err := verify(evs); err != nil {
			broken++
			fmt.Fprintln(stdout, "BROKEN", civicgrid.ErrorMessage(err))
		}
		return nil
	})
	return subjects, events, broken, err
}
