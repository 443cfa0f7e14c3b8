package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/democity"
)

// intake is the throughput of case intake over HTTP: clients each send a
// report as soon as their last one was answered (a closed loop), round robin
// over one or more instances of a server sharing one database, and it prints
// the reports answered 201 a second after a warm-up. It runs in its own
// process, so that its work does not count as the servers'.
func intake(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("intake", flag.ContinueOnError)
	urls := fs.String("urls", "http://127.0.0.1:8080", "the instances, comma-separated (loopback only)")
	clients := fs.Int("clients", 32, "reports in flight at once")
	duration := fs.Duration("duration", 20*time.Second, "how long to measure")
	warmup := fs.Duration("warmup", 3*time.Second, "how long to load before measuring")
	label := fs.String("label", "", "a name for the run in the output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var bases []string
	for u := range strings.SplitSeq(*urls, ",") {
		if !strings.HasPrefix(u, "http://127.0.0.1:") && !strings.HasPrefix(u, "http://localhost:") {
			return fmt.Errorf("--urls: %q is not a loopback address", u)
		}
		bases = append(bases, u)
	}
	city, err := democity.Generate(democity.Options{Seed: 1})
	if err != nil {
		return err
	}
	var grids []civicgrid.Area
	for _, a := range city.Areas {
		if a.Level == civicgrid.LevelGrid {
			grids = append(grids, a)
		}
	}
	// One session (the demo resident's), used at every instance: sessions
	// live in the shared database.
	resident, err := login(bases[0], "19900000001")
	if err != nil {
		return err
	}
	var catList struct {
		Categories []civicgrid.Category `json:"categories"`
	}
	if err := resident.getJSON("/api/v1/categories", &catList); err != nil {
		return err
	}
	var cats []string
	for _, c := range catList.Categories {
		if c.Active {
			cats = append(cats, c.Code)
		}
	}
	if len(cats) == 0 {
		return fmt.Errorf("no active categories")
	}
	// Cookies are not bound to a port: the jar sends the session to every
	// instance.
	hc := resident.http

	var measuring atomic.Bool
	var ok, bad atomic.Int64
	var mu sync.Mutex
	failures := map[string]int{} // by status, or "error"
	fail := func(why string) {
		bad.Add(1)
		mu.Lock()
		failures[why]++
		mu.Unlock()
	}
	var next atomic.Int64
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range *clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			for ctx.Err() == nil {
				lat, lng := somewhere(rng, grids)
				body, _ := json.Marshal(map[string]any{"category": cats[rng.IntN(len(cats))], "description": "压测上报", "lat": lat, "lng": lng})
				req, _ := http.NewRequestWithContext(ctx, "POST", bases[int(next.Add(1))%len(bases)]+"/api/v1/cases", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-CSRF-Token", resident.csrf)
				resp, err := hc.Do(req)
				if err != nil {
					if ctx.Err() == nil && measuring.Load() {
						fail("error")
						time.Sleep(10 * time.Millisecond)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if !measuring.Load() {
					continue
				}
				if resp.StatusCode == http.StatusCreated {
					ok.Add(1)
				} else {
					fail(strconv.Itoa(resp.StatusCode))
				}
			}
		})
	}
	time.Sleep(*warmup)
	measuring.Store(true)
	start := time.Now()
	select {
	case <-ctx.Done():
	case <-time.After(*duration):
	}
	n, elapsed := ok.Load(), time.Since(start)
	measuring.Store(false)
	cancel()
	wg.Wait()
	fmt.Printf("%s instances=%d clients=%d: %d reports in %s: %.0f cases/s, %d failed %v\n", *label, len(bases), *clients, n,
		elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), bad.Load(), failures)
	return nil
}
