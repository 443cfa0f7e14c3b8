// Command civicgrid-soak is the scale suite's two halves (see make soak and
// docs/benchmarks.md):
//
//	civicgrid-soak seed --data DIR --cases N   build a store of N cases through the case service
//	civicgrid-soak load --url URL --duration D report and read at a steady rate against a server
//	civicgrid-soak intake --urls URL,URL,…       intake throughput (closed loop) over one or more instances
//
// seed runs in-process on a store no server has open; load runs in its own
// process against a running server, so its work does not count as the
// server's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: civicgrid-soak seed|load|intake [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "seed":
		err = seed(ctx, os.Args[2:])
	case "load":
		err = load(ctx, os.Args[2:])
	case "intake":
		err = intake(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: seed, load or intake", os.Args[1])
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "civicgrid-soak:", err)
		os.Exit(1)
	}
}
