// Package sms sends one-time codes by SMS through a pluggable Sender.
package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"
)

// Sender delivers one SMS.
type Sender interface {
	// Send delivers message to phone, which is normalized first.
	Send(ctx context.Context, phone, message string) error
	// Name is "http-gateway" or "development".
	Name() string
}

// Config picks a sender.
type Config struct {
	Kind         string // "dev" or "http"
	GatewayURL   string // absolute http(s) URL; required for "http"
	GatewayToken string // sent as a bearer token when set
	// Signature is prefixed to every message, e.g. "【civicgrid】"; Chinese
	// SMS rules require a registered signature.
	Signature  string
	Production bool          // refuses the "dev" kind
	Timeout    time.Duration // per request; DefaultTimeout when zero
}

// DefaultTimeout bounds one gateway request when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// ErrDevInProduction is returned by New for Kind "dev" with Production set.
var ErrDevInProduction = errors.New("sms: the development sender only logs codes and never delivers them, so it is refused in production; " +
	"configure an SMS gateway with --sms-gateway-url and --sms-gateway-token " +
	"(or CIVICGRID_SMS_GATEWAY_URL and CIVICGRID_SMS_GATEWAY_TOKEN)")

// New returns the sender cfg asks for. A nil log means slog.Default().
func New(cfg Config, log *slog.Logger) (Sender, error) {
	if log == nil {
		log = slog.Default()
	}
	switch cfg.Kind {
	case "dev":
		if cfg.Production {
			return nil, ErrDevInProduction
		}
		return NewDevSender(log), nil
	case "http":
		return newHTTPGateway(cfg, log)
	default:
		return nil, fmt.Errorf("sms: unknown sender kind %q, want \"dev\" or \"http\"", cfg.Kind)
	}
}

func newHTTPGateway(cfg Config, log *slog.Logger) (*HTTPGateway, error) {
	if cfg.GatewayURL == "" {
		return nil, errors.New("sms: the http sender needs a gateway URL; set --sms-gateway-url or CIVICGRID_SMS_GATEWAY_URL")
	}
	u, err := url.Parse(cfg.GatewayURL)
	if err != nil {
		return nil, fmt.Errorf("sms: gateway URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sms: gateway URL %q must be an absolute http:// or https:// URL", u.Redacted())
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("sms: negative timeout %v", cfg.Timeout)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &HTTPGateway{
		url:        u.String(),
		token:      cfg.GatewayToken,
		signature:  cfg.Signature,
		timeout:    timeout,
		retryPause: 200 * time.Millisecond,
		client:     newClient(),
		log:        log,
	}, nil
}
