package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// envChild makes the test binary run one civicgrid command line (its
// arguments separated by newlines) and exit: the durability test starts
// the real server in a process of its own that it can kill.
const envChild = "CIVICGRID_TEST_CHILD"

func TestMain(m *testing.M) {
	if args := os.Getenv(envChild); args != "" {
		os.Args = append([]string{"civicgrid"}, strings.Split(args, "\n")...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serverProcess is civicgrid demo running in a child process.
type serverProcess struct {
	cmd   *exec.Cmd
	base  string // http://127.0.0.1:port/
	token string // the demo API token this start printed
	// metrics is the metrics URL printed (with --metrics-addr).
	metrics string
	// stderr holds the logs; read it only after the process ended.
	stderr *bytes.Buffer
}

var servingAt = regexp.MustCompile(`at (http://\S+/)`)

var metricsAt = regexp.MustCompile(`^Prometheus metrics at (http://\S+)`)

// startServer starts civicgrid demo on data with extra flags.
func startServer(t *testing.T, data string, extra ...string) *serverProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	args := append([]string{"demo", "--data", data, "--addr", "127.0.0.1:0"}, extra...)
	cmd.Env = append(os.Environ(), envChild+"="+strings.Join(args, "\n"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, stderr: stderr}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := servingAt.FindStringSubmatch(line); m != nil && p.base == "" {
			p.base = m[1]
		}
		if m := metricsAt.FindStringSubmatch(line); m != nil {
			p.metrics = m[1]
		}
		if strings.HasPrefix(line, "cgt_") {
			p.token = line
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	if p.base == "" || p.token == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the server did not start: %s", stderr.String())
	}
	return p
}

// kill ends the server as a crash would: SIGKILL, no shutdown.
func (p *serverProcess) kill() {
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

// terminate asks the server to stop (SIGTERM, as systemd does) and waits:
// it must drain its requests and exit cleanly within the shutdown grace.
func (p *serverProcess) terminate(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the server's exit after SIGTERM: %v\n%s", err, p.stderr.String())
		}
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-done
		t.Errorf("the server did not stop within 20 s of SIGTERM")
	}
}

// TestDurabilityUnderSIGKILL runs concurrent intake against the real
// server and kills it with SIGKILL three times, restarting it each time.
// Clients retry every report not acknowledged with its Idempotency-Key
// until it is. Then every acknowledged case must be in the store, each
// key must have made exactly one case, and `verify` and `indicators
// check` must find nothing wrong — on SQLite, and on PostgreSQL in the
// suite's PostgreSQL pass.
func TestDurabilityUnderSIGKILL(t *testing.T) {
	durabilityUnderStops(t, "SIGKILL", func(p *serverProcess) { p.kill() })
}

// TestDurabilityUnderSIGTERM is the same with graceful stops: each ends
// cleanly, and nothing acknowledged is lost (the requests in flight, the
// intake batch among them, are drained before the process exits).
func TestDurabilityUnderSIGTERM(t *testing.T) {
	durabilityUnderStops(t, "SIGTERM", func(p *serverProcess) { p.terminate(t) })
}

// durabilityUnderStops runs concurrent intake and stops the server with
// stop three times, restarting it each time.
func durabilityUnderStops(t *testing.T, how string, stopServer func(*serverProcess)) {
	useTestStore(t)
	data := t.TempDir()
	srv := startServer(t, data)
	defer func() { srv.kill() }()
	token := srv.token // stored in the store: valid across restarts
	var base atomic.Value
	base.Store(srv.base)

	const workers, perCycle, cycles = 6, 40, 3
	var (
		mu     sync.Mutex
		acked  = map[string]int64{} // Idempotency-Key → case id
		stop   atomic.Bool
		lost   atomic.Int64 // requests with no answer (the server was killed)
		again  atomic.Int64 // retries answered with the case of an earlier attempt
		wg     sync.WaitGroup
		client = &http.Client{Timeout: 10 * time.Second}
	)
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	// report files one report until it is acknowledged.
	report := func(key string, n int) {
		body := fmt.Sprintf(`{"category":"C0005","description":"水管破裂 %s","lat":%.6f,"lng":114.2986}`, key, 30.5928+float64(n%50)*1e-5)
		for {
			req, _ := http.NewRequest("POST", base.Load().(string)+"api/v1/cases", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", key)
			resp, err := client.Do(req)
			if err == nil {
				var in struct {
					Case struct{ ID int64 } `json:"case"`
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					again.Add(1)
				}
				if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
					if err := json.Unmarshal(b, &in); err != nil || in.Case.ID == 0 {
						t.Errorf("report %s: %d %s", key, resp.StatusCode, b)
						return
					}
					mu.Lock()
					acked[key] = in.Case.ID
					mu.Unlock()
					return
				}
				if resp.StatusCode < 500 {
					t.Errorf("report %s refused: %d %s", key, resp.StatusCode, b)
					return
				}
			} else {
				lost.Add(1)
			}
			time.Sleep(20 * time.Millisecond) // the server is down or restarting
		}
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				report(fmt.Sprintf("w%d-%d", w, n), n)
			}
		}()
	}
	giveUp := time.Now().Add(time.Minute)
	for cycle := 1; cycle <= cycles; cycle++ {
		for count() < cycle*perCycle {
			if t.Failed() || time.Now().After(giveUp) {
				t.Errorf("intake stalled at %d acknowledged reports", count())
				stop.Store(true)
				wg.Wait()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		stopServer(srv)
		srv = startServer(t, data)
		base.Store(srv.base)
	}
	stop.Store(true)
	wg.Wait() // every key in flight is acknowledged by the last start
	srv.kill()

	ctx := context.Background()
	db, err := openTestStore(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]string{}
	for key, id := range acked {
		if other, dup := ids[id]; dup {
			t.Errorf("keys %s and %s were answered with the same case %d", key, other, id)
		}
		ids[id] = key
		if _, err := db.CaseByID(ctx, id); err != nil {
			t.Errorf("acknowledged case %d (%s) after the crashes: %v", id, key, err)
		}
	}
	var cases int
	if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM cases`).Scan(&cases); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if cases != len(acked) {
		t.Errorf("%d cases in the store for %d reported keys: a retried key made a second case, or a case was lost", cases, len(acked))
	}
	if out, err := runCmd(t, "verify", "--data", data); err != nil {
		t.Errorf("verify after the crashes: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "indicators", "check", "--data", data); err != nil {
		t.Errorf("indicators check after the crashes: %v\n%s", err, out)
	}
	t.Logf("%d reports acknowledged across %d %ss; %d requests lost their answer, %d retries found their case made", len(acked), cycles, how, lost.Load(), again.Load())
}
