package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"
)

// HTTPGateway posts messages as JSON to an SMS gateway. Create it with New.
type HTTPGateway struct {
	url        string
	token      string
	signature  string
	timeout    time.Duration // per attempt
	retryPause time.Duration
	client     *http.Client
	log        *slog.Logger
}

// GatewayError is a non-2xx answer from the gateway.
type GatewayError struct {
	StatusCode int
	Body       string // first 200 bytes
}

func (e *GatewayError) Error() string {
	kind := "rejected the message"
	if e.StatusCode >= 500 {
		kind = "failed"
	}
	return fmt.Sprintf("sms: gateway %s: %d %s: %q", kind, e.StatusCode, http.StatusText(e.StatusCode), e.Body)
}

// Temporary reports whether a later attempt may succeed (a 5xx status).
func (e *GatewayError) Temporary() bool { return e.StatusCode >= 500 }

const bodySnippet = 200

func newClient() *http.Client {
	return &http.Client{
		// A redirected POST would be replayed as GET; report it instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Name returns "http-gateway".
func (*HTTPGateway) Name() string { return "http-gateway" }

// Send posts {"phone", "message"} with the signature prefixed. A 5xx answer
// or network error is retried once after a short pause; a 4xx is final.
func (g *HTTPGateway) Send(ctx context.Context, phone, message string) error {
	p, err := Normalize(phone)
	if err != nil {
		return err
	}
	if message == "" {
		return errors.New("sms: empty message")
	}
	body, err := json.Marshal(struct {
		Phone   string `json:"phone"`
		Message string `json:"message"`
	}{p, g.signature + message})
	if err != nil {
		return fmt.Errorf("sms: encode request: %w", err)
	}

	status, err := g.post(ctx, body)
	if retryable(err) && ctx.Err() == nil {
		g.log.WarnContext(ctx, "sms gateway failed, retrying", "phone", Mask(p), "status", status, "err", err)
		t := time.NewTimer(g.retryPause)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (retry abandoned: %w)", err, ctx.Err())
		case <-t.C:
		}
		if status, err = g.post(ctx, body); err != nil {
			err = fmt.Errorf("%w (after one retry)", err)
		}
	}
	if err != nil {
		g.log.WarnContext(ctx, "sms not sent", "phone", Mask(p), "status", status, "err", err)
		return err
	}
	// The message holds a code, so only the masked phone is logged.
	g.log.InfoContext(ctx, "sms sent", "phone", Mask(p), "status", status)
	return nil
}

func retryable(err error) bool {
	if err == nil {
		return false
	}
	var ge *GatewayError
	if errors.As(err, &ge) {
		return ge.Temporary()
	}
	return true // network error or timeout
}

// post makes one attempt and returns the status code (0 without response).
func (g *HTTPGateway) post(ctx context.Context, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("sms: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if g.token != "" {
		req.Header.Set("Authorization", "Bearer "+g.token)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("sms: gateway request: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return resp.StatusCode, nil
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, bodySnippet))
	if len(snippet) == bodySnippet {
		snippet = trimCutRune(snippet)
	}
	return resp.StatusCode, &GatewayError{StatusCode: resp.StatusCode, Body: string(snippet)}
}

// trimCutRune drops a rune the byte limit cut in half, so Chinese error
// text from the gateway stays readable.
func trimCutRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}
