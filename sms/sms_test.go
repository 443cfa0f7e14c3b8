package sms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/sms"
)

// syncBuffer lets the logger be written from handler goroutines safely.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newLogger() (*slog.Logger, *syncBuffer) {
	var buf syncBuffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

// gateway starts a test gateway answering with handler and counting calls.
func gateway(t *testing.T, handler http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		handler(w, r)
	}))
	t.Cleanup(func() {
		// Unblocks handlers still waiting on their request context.
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv, &calls
}

func newGateway(t *testing.T, cfg sms.Config) (sms.Sender, *syncBuffer) {
	t.Helper()
	log, buf := newLogger()
	cfg.Kind = "http"
	s, err := sms.New(cfg, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, buf
}

func TestHTTPGatewaySend(t *testing.T) {
	type request struct {
		method, contentType, auth string
		body                      map[string]string
	}
	got := make(chan request, 1)
	srv, calls := gateway(t, func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("decode body: %v", err)
		}
		got <- request{r.Method, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), body}
		w.WriteHeader(http.StatusAccepted)
	})
	s, logs := newGateway(t, sms.Config{GatewayURL: srv.URL + "/send", GatewayToken: "s3cret", Signature: "【civicgrid】"})
	if got, want := s.Name(), "http-gateway"; got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}

	if err := s.Send(context.Background(), "+86 138-1234-5678", "您的验证码是 424242"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := <-got
	if got, want := calls.Load(), int32(1); got != want {
		t.Errorf("calls = %d, want %d", got, want)
	}
	if got, want := req.method, http.MethodPost; got != want {
		t.Errorf("method = %q, want %q", got, want)
	}
	if got, want := req.contentType, "application/json"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if got, want := req.auth, "Bearer s3cret"; got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
	if got, want := req.body["phone"], "13812345678"; got != want {
		t.Errorf("phone = %q, want %q", got, want)
	}
	if got, want := req.body["message"], "【civicgrid】您的验证码是 424242"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	if got, want := len(req.body), 2; got != want {
		t.Errorf("body has %d fields, want %d: %v", got, want, req.body)
	}

	out := logs.String()
	if strings.Contains(out, "424242") || strings.Contains(out, "13812345678") {
		t.Errorf("log reveals the code or the full phone:\n%s", out)
	}
	if !strings.Contains(out, "138****5678") || !strings.Contains(out, "status=202") {
		t.Errorf("log lacks masked phone or status:\n%s", out)
	}
}

func TestHTTPGatewayNoToken(t *testing.T) {
	srv, _ := gateway(t, func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Header["Authorization"]; ok {
			t.Errorf("Authorization header sent without a token: %q", r.Header.Get("Authorization"))
		}
	})
	s, _ := newGateway(t, sms.Config{GatewayURL: srv.URL})
	if err := s.Send(context.Background(), "13912345678", "code 1"); err != nil {
		t.Fatal(err)
	}
}

func TestHTTPGatewayStatus(t *testing.T) {
	long := strings.Repeat("x", 200) + "TAIL"
	tests := []struct {
		name      string
		statuses  []int // answered in turn; the last repeats
		body      string
		wantCalls int32
		wantErr   string // substring; "" means success
		wantCode  int
	}{
		{"200", []int{200}, "", 1, "", 0},
		{"204", []int{204}, "", 1, "", 0},
		{"400 not retried", []int{400}, `{"error":"bad phone"}`, 1, `400 Bad Request: "{\"error\":\"bad phone\"}"`, 400},
		{"401 not retried", []int{401}, "token expired", 1, "401 Unauthorized", 401},
		{"429 not retried", []int{429}, "", 1, "429", 429},
		{"4xx body cut at 200 bytes", []int{422}, long, 1, `"` + strings.Repeat("x", 200) + `"`, 422},
		{"503 retried then error", []int{503}, "busy", 2, `503 Service Unavailable: "busy" (after one retry)`, 503},
		{"500 then 200", []int{500, 200}, "", 2, "", 0},
		{"502 then 400", []int{502, 400}, "", 2, "400", 400},
		{"redirect not followed", []int{302}, "", 1, "302", 302},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv, calls := gateway(t, func(w http.ResponseWriter, r *http.Request) {
				i := min(int(n.Add(1))-1, len(tt.statuses)-1)
				if tt.statuses[i] == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.statuses[i])
				io.WriteString(w, tt.body)
			})
			s, _ := newGateway(t, sms.Config{GatewayURL: srv.URL})
			err := s.Send(context.Background(), "13812345678", "code 1")
			if got, want := calls.Load(), tt.wantCalls; got != want {
				t.Errorf("calls = %d, want %d", got, want)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Send = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Send = nil, want error containing %q", tt.wantErr)
			}
			if got, want := err.Error(), tt.wantErr; !strings.Contains(got, want) {
				t.Errorf("Send = %q, want it to contain %q", got, want)
			}
			if strings.Contains(err.Error(), "TAIL") {
				t.Errorf("error holds more than 200 bytes of body: %q", err)
			}
			var ge *sms.GatewayError
			if !errors.As(err, &ge) {
				t.Fatalf("error %T is not a *GatewayError", err)
			}
			if got, want := ge.StatusCode, tt.wantCode; got != want {
				t.Errorf("StatusCode = %d, want %d", got, want)
			}
		})
	}
}

func TestHTTPGatewayNetworkErrorRetried(t *testing.T) {
	srv, calls := gateway(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close() // no response at all
	})
	s, _ := newGateway(t, sms.Config{GatewayURL: srv.URL})
	start := time.Now()
	err := s.Send(context.Background(), "13812345678", "code 1")
	if err == nil {
		t.Fatal("Send = nil, want error")
	}
	if got, want := calls.Load(), int32(2); got != want {
		t.Errorf("calls = %d, want %d", got, want)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("retry came after %v, want a pause of about 200ms", d)
	}
}

// hang answers only when the client gives up. The body is read first:
// only then does the server watch the connection and cancel r.Context.
// When the client gives up while the body is still being read, the
// context may never be cancelled, so the wait is bounded to let the test
// server close.
func hang(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

func TestHTTPGatewayContextDeadline(t *testing.T) {
	srv, calls := gateway(t, hang)
	s, _ := newGateway(t, sms.Config{GatewayURL: srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Send(ctx, "13812345678", "code 1")
	if got, want := errors.Is(err, context.DeadlineExceeded), true; got != want {
		t.Errorf("errors.Is(%v, DeadlineExceeded) = %v, want %v", err, got, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send took %v after a 100ms deadline", d)
	}
	// The caller's deadline has passed, so there is no retry (on a busy
	// machine the deadline may pass before the one attempt reaches the
	// gateway at all).
	if got := calls.Load(); got > 1 {
		t.Errorf("calls = %d, want at most 1", got)
	}
}

func TestHTTPGatewayConfigTimeout(t *testing.T) {
	srv, calls := gateway(t, hang)
	s, _ := newGateway(t, sms.Config{GatewayURL: srv.URL, Timeout: 100 * time.Millisecond})
	start := time.Now()
	err := s.Send(context.Background(), "13812345678", "code 1")
	if got, want := errors.Is(err, context.DeadlineExceeded), true; got != want {
		t.Errorf("errors.Is(%v, DeadlineExceeded) = %v, want %v", err, got, want)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send took %v with a 100ms timeout", d)
	}
	// A timed-out attempt is a network failure, so it is retried once.
	if got, want := calls.Load(), int32(2); got != want {
		t.Errorf("calls = %d, want %d", got, want)
	}
}

func TestHTTPGatewayCancelDuringPause(t *testing.T) {
	srv, calls := gateway(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	s, _ := newGateway(t, sms.Config{GatewayURL: srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := s.Send(ctx, "13812345678", "code 1")
	if got, want := errors.Is(err, context.DeadlineExceeded), true; got != want {
		t.Errorf("errors.Is(%v, DeadlineExceeded) = %v, want %v", err, got, want)
	}
	if got, want := calls.Load(), int32(1); got != want {
		t.Errorf("calls = %d, want %d", got, want)
	}
}

func TestHTTPGatewayRejectsBadInput(t *testing.T) {
	srv, calls := gateway(t, func(http.ResponseWriter, *http.Request) {})
	s, _ := newGateway(t, sms.Config{GatewayURL: srv.URL})
	for _, tt := range []struct{ phone, message string }{
		{"12345", "code 1"},
		{"13812345678", ""},
	} {
		if err := s.Send(context.Background(), tt.phone, tt.message); err == nil {
			t.Errorf("Send(%q, %q) = nil, want error", tt.phone, tt.message)
		}
	}
	if got, want := calls.Load(), int32(0); got != want {
		t.Errorf("calls = %d, want %d", got, want)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		cfg      sms.Config
		wantErr  string // substring; "" means success
		wantName string
	}{
		{"dev", sms.Config{Kind: "dev"}, "", "development"},
		{"http", sms.Config{Kind: "http", GatewayURL: "https://sms.example.cn/v1/send"}, "", "http-gateway"},
		{"http in production", sms.Config{Kind: "http", GatewayURL: "https://sms.example.cn/v1/send", Production: true}, "", "http-gateway"},
		{"dev in production", sms.Config{Kind: "dev", Production: true}, "refused in production", ""},
		{"http without URL", sms.Config{Kind: "http"}, "needs a gateway URL", ""},
		{"relative URL", sms.Config{Kind: "http", GatewayURL: "sms.example.cn/send"}, "absolute http:// or https://", ""},
		{"ftp URL", sms.Config{Kind: "http", GatewayURL: "ftp://sms.example.cn/send"}, "absolute http:// or https://", ""},
		{"no host", sms.Config{Kind: "http", GatewayURL: "https:///send"}, "absolute http:// or https://", ""},
		{"unparsable URL", sms.Config{Kind: "http", GatewayURL: "http://%zz"}, "gateway URL", ""},
		{"password hidden", sms.Config{Kind: "http", GatewayURL: "ftp://user:hunter2@sms.example.cn"}, "xxxxx", ""},
		{"negative timeout", sms.Config{Kind: "http", GatewayURL: "https://sms.example.cn", Timeout: -time.Second}, "negative timeout", ""},
		{"empty kind", sms.Config{}, `unknown sender kind ""`, ""},
		{"unknown kind", sms.Config{Kind: "aliyun"}, `unknown sender kind "aliyun"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sms.New(tt.cfg, nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New = %v, want nil", err)
				}
				if got, want := s.Name(), tt.wantName; got != want {
					t.Errorf("Name = %q, want %q", got, want)
				}
				return
			}
			if err == nil {
				t.Fatalf("New = %s sender, want error containing %q", s.Name(), tt.wantErr)
			}
			if got, want := err.Error(), tt.wantErr; !strings.Contains(got, want) {
				t.Errorf("New = %q, want it to contain %q", got, want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error reveals the URL password: %q", err)
			}
		})
	}
}

func TestNewDevInProductionExplains(t *testing.T) {
	_, err := sms.New(sms.Config{Kind: "dev", Production: true}, nil)
	if got, want := errors.Is(err, sms.ErrDevInProduction), true; got != want {
		t.Errorf("errors.Is(%v, ErrDevInProduction) = %v, want %v", err, got, want)
	}
	for _, want := range []string{"only logs codes", "--sms-gateway-url", "--sms-gateway-token",
		"CIVICGRID_SMS_GATEWAY_URL", "CIVICGRID_SMS_GATEWAY_TOKEN"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestDevSender(t *testing.T) {
	log, logs := newLogger()
	s, err := sms.New(sms.Config{Kind: "dev"}, log)
	if err != nil {
		t.Fatal(err)
	}
	d := s.(*sms.DevSender)
	ctx := context.Background()

	if _, ok := d.Last("13812345678"); ok {
		t.Error("Last before any Send reported a message")
	}
	if err := d.Send(ctx, "138 1234 5678", "code 111111"); err != nil {
		t.Fatal(err)
	}
	if err := d.Send(ctx, "13812345678", "code 222222"); err != nil {
		t.Fatal(err)
	}
	if err := d.Send(ctx, "15900000000", "code 333333"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		phone  string
		want   string
		wantOK bool
	}{
		{"13812345678", "code 222222", true},
		{"+86 138-1234-5678", "code 222222", true},
		{"15900000000", "code 333333", true},
		{"13900000000", "", false},
		{"not a phone", "", false},
	}
	for _, tt := range tests {
		got, ok := d.Last(tt.phone)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Last(%q) = %q, %v, want %q, %v", tt.phone, got, ok, tt.want, tt.wantOK)
		}
	}

	out := logs.String()
	for _, want := range []string{"level=WARN", "DEVELOPMENT SMS SENDER — not delivered", "phone=138****5678", `message="code 222222"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "13812345678") {
		t.Errorf("the log holds the whole phone number:\n%s", out)
	}
	if err := d.Send(ctx, "123", "code"); err == nil {
		t.Error("Send to an invalid phone = nil, want error")
	}
}

func TestDevSenderBounded(t *testing.T) {
	d := sms.NewDevSender(slog.New(slog.DiscardHandler))
	ctx := context.Background()
	phone := func(i int) string { return fmt.Sprintf("138%08d", i) }
	if err := d.Send(ctx, phone(0), "first"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 1000; i++ {
		if i == 500 { // refreshing phone 1 keeps it among the newest
			if err := d.Send(ctx, phone(1), "refreshed"); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Send(ctx, phone(i), "code"); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := d.Last(phone(0)); ok {
		t.Error("oldest phone still remembered after 1000 newer ones")
	}
	if got, ok := d.Last(phone(1)); !ok || got != "code" && got != "refreshed" {
		t.Errorf("Last(refreshed phone) = %q, %v, want it remembered", got, ok)
	}
	if _, ok := d.Last(phone(1000)); !ok {
		t.Error("newest phone forgotten")
	}
}

func TestDevSenderConcurrent(t *testing.T) {
	d := sms.NewDevSender(slog.New(slog.DiscardHandler))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				p := fmt.Sprintf("139%04d%04d", g, i)
				if err := d.Send(context.Background(), p, "c"); err != nil {
					t.Error(err)
					return
				}
				d.Last(p)
			}
		})
	}
	wg.Wait()
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string // substring; "" means success
	}{
		{"13812345678", "13812345678", ""},
		{"138 1234 5678", "13812345678", ""},
		{"138-1234-5678", "13812345678", ""},
		{"+86 138 1234 5678", "13812345678", ""},
		{"+8613812345678", "13812345678", ""},
		{"008613812345678", "13812345678", ""},
		{" 0086-199-0000-0000 ", "19900000000", ""},
		{"１３８１２３４５６７８", "13812345678", ""},
		{"＋86　138－1234－5678", "13812345678", ""},
		{"", "", "empty"},
		{"  -- ", "", "empty"},
		{"1381234567", "", "has 10 digits"},
		{"138123456789", "", "has 12 digits"},
		{"8613812345678", "", "has 13 digits"},
		{"12812345678", "", "starts with 13 to 19, not 12"},
		{"23812345678", "", "not 23"},
		{"138.1234.5678", "", `contains '.'`},
		{"(138)12345678", "", `contains '('`},
		{"+1 415 555 0100", "", "contains '+'"},
		{"138123456a8", "", "contains 'a'"},
	}
	for _, tt := range tests {
		got, err := sms.Normalize(tt.in)
		if tt.wantErr == "" {
			if err != nil || got != tt.want {
				t.Errorf("Normalize(%q) = %q, %v, want %q, nil", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("Normalize(%q) = %q, nil, want error", tt.in, got)
			continue
		}
		if got, want := errors.Is(err, sms.ErrInvalidPhone), true; got != want {
			t.Errorf("errors.Is(%v, ErrInvalidPhone) = %v, want %v", err, got, want)
		}
		if got, want := err.Error(), tt.wantErr; !strings.Contains(got, want) {
			t.Errorf("Normalize(%q) error = %q, want it to contain %q", tt.in, got, want)
		}
	}
}

func TestValidPhone(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"13012345678", true},
		{"13812345678", true},
		{"14512345678", true},
		{"16612345678", true},
		{"19912345678", true},
		{"10012345678", false},
		{"11012345678", false},
		{"12012345678", false},
		{"23812345678", false},
		{"1381234567", false},
		{"138123456789", false},
		{"+8613812345678", false},
		{"138 1234 567", false},
		{"1381234567x", false},
		{"１３８１２３４５６７８", false},
		{"", false},
	}
	for _, tt := range tests {
		if got, want := sms.ValidPhone(tt.in), tt.want; got != want {
			t.Errorf("ValidPhone(%q) = %v, want %v", tt.in, got, want)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{"1234567", "1234567"},
		{"123", "***"},
		{"", ""},
	}
	for _, tt := range tests {
		if got, want := sms.Mask(tt.in), tt.want; got != want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, want)
		}
	}
}
