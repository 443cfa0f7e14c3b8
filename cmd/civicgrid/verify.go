package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/sqlstore"
)

// cmdVerify checks every case's, proposal's, vote's and volunteer request's
// hash-chained history and reports those whose chain is broken (an event
// altered, removed or inserted), recounts every closed vote from its
// ballots, checks the time bank: the ledger sums to zero, each
// transfer too, and every balance equals its entries; and recounts the
// notices' stored audience counts from the role grants.
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
	return verifyStore(ctx, db, stdout)
}

// verifyStore checks every history in db and recounts its closed votes;
// an error when something was tampered with.
func verifyStore(ctx context.Context, db *sqlstore.DB, stdout io.Writer) error {
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
	votes, kept, miscounted, err := recountVotes(ctx, db, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d closed votes recounted from their ballots, %d kept tallies checked against their ballot boxes; %d differ\n", votes, kept, miscounted)
	requests, vevents, vbroken, err := verifyChains(ctx, stdout, db.ForEachVolunteerChain, civicgrid.VerifyVolunteerChain)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d volunteer requests, %d events checked; %d broken chains\n", requests, vevents, vbroken)
	certs, certEvents, certBroken := 0, 0, 0
	if err := db.ForEachCertificateChain(ctx, func(c civicgrid.VolunteerCertificate, evs []civicgrid.CertificateEvent) error {
		certs, certEvents = certs+1, certEvents+len(evs)
		if err := civicgrid.VerifyCertificateChain(c, evs); err != nil {
			certBroken++
			fmt.Fprintln(stdout, "BROKEN", civicgrid.ErrorMessage(err))
		}
		return nil
	}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d volunteer certificates, %d events checked; %d broken chains\n", certs, certEvents, certBroken)
	vbroken += certBroken
	tb, err := db.CheckTimeBank(ctx)
	if err != nil {
		return err
	}
	ledgerBad := len(tb.Unbalanced) + len(tb.Mismatched)
	if tb.Sum != 0 {
		ledgerBad++
		fmt.Fprintf(stdout, "LEDGER the time bank sums to %d minutes, not 0\n", tb.Sum)
	}
	for _, id := range tb.Unbalanced {
		fmt.Fprintf(stdout, "LEDGER transaction %d: its entries do not sum to zero\n", id)
	}
	for _, a := range tb.Mismatched {
		fmt.Fprintf(stdout, "LEDGER account %s: its balance differs from the sum of its entries\n", a)
	}
	fmt.Fprintf(stdout, "%d time-bank accounts, %d entries checked; sum %d; %d problems\n", tb.Accounts, tb.Entries, tb.Sum, ledgerBad)
	// The notices' audience counts, kept with the grants, recounted.
	rows, audBad, err := db.CheckAudienceCounts(ctx)
	if err != nil {
		return err
	}
	for _, p := range audBad {
		fmt.Fprintf(stdout, "AUDIENCE area %s role %s: %d stored, %d counted from the grants\n", p.Area, p.Role, p.Stored, p.Counted)
	}
	fmt.Fprintf(stdout, "%d audience counts checked against the role grants; %d differ\n", rows, len(audBad))
	if broken+cbroken+miscounted+vbroken+ledgerBad+len(audBad) > 0 {
		return fmt.Errorf("verify: %d case, %d co-governance and %d volunteer histories were tampered with, %d ballot boxes changed, %d time-bank problems, %d audience counts differ",
			broken, cbroken, vbroken, miscounted, ledgerBad, len(audBad))
	}
	return nil
}

// recountVotes checks every vote's kept tally against its ballot box
// (civicgrid.CheckKept) and counts every closed vote's ballots again
// (civicgrid.Recount).
func recountVotes(ctx context.Context, db *sqlstore.DB, stdout io.Writer) (votes, kept, miscounted int, err error) {
	var ids []int64
	if err := db.ForEachCogovChain(ctx, func(subject string, _ []civicgrid.CogovEvent) error {
		if id, ok := strings.CutPrefix(subject, "vote:"); ok {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				return err
			}
			ids = append(ids, n)
		}
		return nil
	}); err != nil {
		return 0, 0, 0, err
	}
	for _, id := range ids {
		// The kept tally (open votes too) against the count of the box,
		// read in one snapshot; then a closed vote's published result
		// against a recount of the same box.
		v, tally, isKept, bs, err := db.KeptTally(ctx, id)
		if err != nil {
			return votes, kept, miscounted, err
		}
		bad := false
		if isKept {
			kept++
			if err := civicgrid.CheckKept(v, tally, bs); err != nil {
				bad = true
				fmt.Fprintln(stdout, "MISCOUNT", civicgrid.ErrorMessage(err))
			}
		}
		if v.Status == civicgrid.VoteClosed {
			if !isKept {
				if bs, err = db.Ballots(ctx, id); err != nil {
					return votes, kept, miscounted, err
				}
			}
			votes++
			if err := civicgrid.Recount(v, bs); err != nil {
				bad = true
				fmt.Fprintln(stdout, "MISCOUNT", civicgrid.ErrorMessage(err))
			}
		}
		if bad {
			miscounted++
		}
	}
	return votes, kept, miscounted, nil
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
