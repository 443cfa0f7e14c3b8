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
	"net/http/cookiejar"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/democity"
)

// load reports and reads at steady rates against a server serving the demo
// city (its accounts) and prints, per minute, p50/p99 of reports and of
// reads and the server's RSS; at the end the latency of every page and
// list, slowest first. Requests are sent on schedule whatever the answers
// take (an open loop), so a slow server shows as latency, not as a lower
// rate.
func load(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "the server (loopback only)")
	duration := fs.Duration("duration", 10*time.Minute, "how long to load")
	reports := fs.Float64("reports", 300, "reports per second")
	reads := fs.Float64("reads", 150, "reads per second (0: reports only)")
	unloaded := fs.Bool("unloaded", true, "time each page and list alone before the load")
	pid := fs.Int("pid", 0, "the server's process id, for its RSS")
	label := fs.String("label", "", "a name for the run in the output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !strings.HasPrefix(*base, "http://127.0.0.1:") && !strings.HasPrefix(*base, "http://localhost:") {
		return fmt.Errorf("--url must be a loopback address")
	}
	city, err := democity.Generate(democity.Options{Seed: 1})
	if err != nil {
		return err
	}
	var grids []civicgrid.Area
	var street string
	for _, a := range city.Areas {
		switch a.Level {
		case civicgrid.LevelGrid:
			grids = append(grids, a)
		case civicgrid.LevelStreet:
			if street == "" {
				street = a.Code
			}
		}
	}
	resident, err := login(*base, "19900000001")
	if err != nil {
		return err
	}
	admin, err := login(*base, "19900000010")
	if err != nil {
		return err
	}
	var cats []string
	var catList struct {
		Categories []civicgrid.Category `json:"categories"`
	}
	if err := admin.getJSON("/api/v1/categories", &catList); err != nil {
		return err
	}
	for _, c := range catList.Categories {
		if c.Active {
			cats = append(cats, c.Code)
		}
	}
	if len(cats) == 0 {
		return fmt.Errorf("no active categories")
	}
	rec := newRecorder()
	report := func(rng *rand.Rand) {
		lat, lng := somewhere(rng, grids)
		body, _ := json.Marshal(map[string]any{"category": cats[rng.IntN(len(cats))], "description": "压测上报", "lat": lat, "lng": lng})
		rec.do("report", resident, "POST", "/api/v1/cases", body, http.StatusCreated)
	}
	// The first report after a (re)start: the duplicate window is read.
	first := time.Now()
	report(rand.New(rand.NewPCG(0, 0)))
	fmt.Printf("%s first report: %s\n", *label, time.Since(first).Round(time.Millisecond))

	pages := []string{
		"/api/v1/cases", "/api/v1/cases?status=reported", "/api/v1/cases?status=registered", "/api/v1/cases?status=dispatched",
		"/api/v1/cases?status=rejected", "/api/v1/cases?overdue=true", "/api/v1/cases?category=" + cats[0],
		"/api/v1/cases?category=" + cats[len(cats)/2] + "&status=reported", "/api/v1/cases?within=" + street,
		"/api/v1/cases?within=" + grids[0].Code, "/api/v1/cases?limit=100&after=500000",
		"/open311/v2/requests.json?service_code=" + cats[0] + "&status=open", "/open311/v2/requests.json?status=closed",
		"/console", "/console?overdue=1", "/console?status=all&category=" + cats[1], "/queue",
	}
	read := func(rng *rand.Rand) {
		p := pages[rng.IntN(len(pages))]
		name := p
		if i := strings.Index(p, "category="); i > 0 {
			name = p[:i] + "category=…" + p[strings.IndexByte(p[i:]+"&", '&')+i:]
		}
		rec.do(name, admin, "GET", p, nil, http.StatusOK)
	}

	// Each page and list alone, before the load: what one user waits.
	fmt.Printf("%s unloaded | page | median of 5 | slowest\n", *label)
	for _, p := range append([]string{"/api/v1/cases.csv?status=reported"}, pages...) {
		if !*unloaded {
			break
		}
		var ds []time.Duration
		for range 5 {
			start := time.Now()
			rec.do("unloaded "+p, admin, "GET", p, nil, http.StatusOK)
			ds = append(ds, time.Since(start))
		}
		fmt.Printf("%s unloaded | %s | %s | %s\n", *label, p, pct(ds, 50), pct(ds, 100))
	}
	rec = newRecorder()

	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	var wg sync.WaitGroup
	var inflight atomic.Int64
	run := func(rate float64, fn func(*rand.Rand), seed uint64) {
		defer wg.Done()
		if rate <= 0 {
			return // none of this kind (a rate of 0 would schedule them all at once)
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		start := time.Now()
		for i := 0; ; i++ {
			next := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(next)):
			}
			if inflight.Load() > 5000 {
				rec.dropped.Add(1)
				continue
			}
			inflight.Add(1)
			r := rand.New(rand.NewPCG(rng.Uint64(), uint64(i)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer inflight.Add(-1)
				fn(r)
			}()
		}
	}
	wg.Add(2)
	go run(*reports, report, 1)
	go run(*reads, read, 2)

	fmt.Printf("%s minute | reports n p50 p99 | reads n p50 p99 | errors | server RSS\n", *label)
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	minute := 0
	flush := func() {
		minute++
		w := rec.window()
		rp, rd := w["report"], w["read"]
		fmt.Printf("%s %d | %d %s %s | %d %s %s | %d | %s\n", *label, minute, len(rp), pct(rp, 50), pct(rp, 99), len(rd), pct(rd, 50), pct(rd, 99),
			rec.errors.Swap(0), rss(*pid))
	}
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			flush()
		}
	}
	wg.Wait()
	if rec.sinceFlush() > 10*time.Second {
		flush()
	}
	fmt.Printf("\n%s every endpoint over the run, slowest p99 first (dropped by the generator: %d)\n", *label, rec.dropped.Load())
	fmt.Printf("%s endpoint | n | p50 | p99 | max | non-2xx\n", *label)
	for _, e := range rec.endpoints() {
		fmt.Printf("%s %s | %d | %s | %s | %s | %d\n", *label, e.name, len(e.d), pct(e.d, 50), pct(e.d, 99), pct(e.d, 100), e.bad)
	}
	return nil
}

// client is a logged-in session.
type client struct {
	base string
	http *http.Client
	csrf string
}

func login(base, phone string) (*client, error) {
	jar, _ := cookiejar.New(nil)
	c := &client{base: base, http: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 0}}}
	body, _ := json.Marshal(map[string]string{"phone": phone, "password": "civicgrid-demo"})
	resp, err := c.http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("login %s: %d %s", phone, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	c.csrf = out.CSRF
	return c, nil
}

func (c *client) getJSON(path string, v any) error {
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// recorder keeps every latency of the run by endpoint, and those of the
// current minute by kind.
type recorder struct {
	mu      sync.Mutex
	all     map[string]*endpoint
	minute  map[string][]time.Duration
	flushed time.Time
	errors  atomic.Int64
	dropped atomic.Int64
}

type endpoint struct {
	name string
	d    []time.Duration
	bad  int
}

func newRecorder() *recorder {
	return &recorder{all: map[string]*endpoint{}, minute: map[string][]time.Duration{}, flushed: time.Now()}
}

func (r *recorder) do(name string, c *client, method, path string, body []byte, want int) {
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	ok := err == nil && resp.StatusCode == want
	if err == nil {
		io.Copy(io.Discard, resp.Body) // the whole answer counts
		resp.Body.Close()
	}
	d := time.Since(start)
	kind := "read"
	if name == "report" {
		kind = "report"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.all[name]
	if e == nil {
		e = &endpoint{name: name}
		r.all[name] = e
	}
	e.d = append(e.d, d)
	r.minute[kind] = append(r.minute[kind], d)
	if !ok {
		e.bad++
		r.errors.Add(1)
	}
}

func (r *recorder) window() map[string][]time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.minute
	r.minute, r.flushed = map[string][]time.Duration{}, time.Now()
	return w
}

func (r *recorder) sinceFlush() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Since(r.flushed)
}

func (r *recorder) endpoints() []endpoint {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []endpoint
	for _, e := range r.all {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b endpoint) int { return int(pctD(b.d, 99) - pctD(a.d, 99)) })
	return out
}

func pctD(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func pct(ds []time.Duration, p float64) string {
	if len(ds) == 0 {
		return "-"
	}
	d := pctD(ds, p)
	if d < 10*time.Millisecond {
		return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) + " ms"
	}
	return d.Round(time.Millisecond).String()
}

// rss is the resident set size of a process, from /proc.
func rss(pid int) string {
	if pid == 0 {
		return "-"
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if kb, err := strconv.Atoi(f[0]); err == nil {
				return strconv.Itoa(kb/1024) + " MB"
			}
		}
	}
	return "?"
}
