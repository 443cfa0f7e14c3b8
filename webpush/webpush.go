// Package webpush sends browser push messages: Web Push (RFC 8030) with the
// message encrypted for the browser (RFC 8291, aes128gcm) and the server
// identified by its VAPID key (RFC 8292). The encryption and the signed
// header come from github.com/SherClockHolmes/webpush-go; this package
// keeps the key, checks endpoints with the webhook address classifier and
// dials only public addresses.
package webpush

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	webpushgo "github.com/SherClockHolmes/webpush-go"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/internal/keyfile"
	"github.com/civicgrid/civicgrid/webhook"
)

// Key is the server's VAPID key pair. Browsers bind each subscription to
// its public key, so the key must outlive restarts and be the same on
// every instance (LoadKey keeps it in a file, like the webhook key).
type Key struct {
	private *ecdh.PrivateKey
}

// NewKey makes a fresh key.
func NewKey() (*Key, error) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return &Key{k}, nil
}

// PublicKey is the uncompressed P-256 point, base64url without padding:
// the page's applicationServerKey and the header's k=.
func (k *Key) PublicKey() string {
	return base64.RawURLEncoding.EncodeToString(k.private.PublicKey().Bytes())
}

func ecdsaKey(uncompressed []byte) (*ecdsa.PublicKey, error) {
	k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), uncompressed)
	if err != nil {
		return nil, fmt.Errorf("vapid: not a P-256 public key: %v", err)
	}
	return k, nil
}

// LoadKey reads the VAPID key from a PEM file (PKCS#8, or SEC 1 as
// `openssl ecparam -name prime256v1 -genkey` writes it), making the file
// (0600) with a new key if it is missing.
func LoadKey(path string) (*Key, error) {
	b, err := keyfile.ReadOrCreate(path, func() ([]byte, error) {
		k, err := NewKey()
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k.private)
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	})
	if err != nil {
		return nil, err
	}
	return parseKey(path, b)
}

func parseKey(path string, b []byte) (*Key, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("VAPID key %s: not a PEM file", path)
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		err = fmt.Errorf("a %q block", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("VAPID key %s: want a P-256 private key: %v", path, err)
	}
	var k *ecdh.PrivateKey
	switch key := key.(type) {
	case *ecdsa.PrivateKey:
		if key.Curve == elliptic.P256() {
			k, err = key.ECDH()
		}
	case *ecdh.PrivateKey:
		if key.Curve() == ecdh.P256() {
			k = key
		}
	}
	if k == nil || err != nil {
		return nil, fmt.Errorf("VAPID key %s: want a P-256 (prime256v1) private key", path)
	}
	return &Key{k}, nil
}

// Config tunes the sender.
type Config struct {
	Key *Key
	// Subject is the contact push services may use about this server:
	// an https: URL (the site) or a mailto: address (RFC 8292 section 2.1).
	Subject string
	// AllowPrivate lets endpoints be loopback, private and other
	// non-public addresses (tests, development); off, such an endpoint is
	// refused when stored and never dialled.
	AllowPrivate bool
	// Resolver checks endpoint host names (default net.DefaultResolver).
	Resolver webhook.Resolver
	// RootCAs, if set, replaces the system's trusted roots (tests).
	RootCAs *x509.CertPool
	// TTL is how long a push service keeps a message for a browser that
	// is offline (default 24 h).
	TTL time.Duration
	// Timeout bounds one push (default 10 s).
	Timeout time.Duration
}

// Sender pushes messages to subscriptions.
type Sender struct {
	cfg    Config
	client *http.Client
}

// New returns a sender.
func New(cfg Config) (*Sender, error) {
	if cfg.Key == nil {
		return nil, errors.New("webpush: no VAPID key")
	}
	if !strings.HasPrefix(cfg.Subject, "https:") && !strings.HasPrefix(cfg.Subject, "mailto:") {
		return nil, fmt.Errorf("webpush: the subject %q must be an https: URL or a mailto: address", cfg.Subject)
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 24 * time.Hour
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	client := webhook.OutboundClient(cfg.Timeout, cfg.AllowPrivate, &tls.Config{RootCAs: cfg.RootCAs})
	return &Sender{cfg: cfg, client: client}, nil
}

// PublicKey is the VAPID public key the page subscribes with.
func (s *Sender) PublicKey() string { return s.cfg.Key.PublicKey() }

// CheckEndpoint judges an endpoint before it is stored: an https URL
// without credentials whose host passes the webhook address classifier.
func (s *Sender) CheckEndpoint(ctx context.Context, endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(endpoint) > 2000 {
		return errors.New("endpoint: an absolute https URL without credentials, at most 2,000 characters")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := webhook.CheckHost(ctx, s.cfg.Resolver, u.Hostname(), s.cfg.AllowPrivate); err != nil {
		return fmt.Errorf("endpoint: only public addresses are allowed, not private, loopback or special-purpose ones: %v", err)
	}
	return nil
}

// ErrGone is a push service's answer that the subscription no longer
// exists (404 or 410): it should be forgotten.
var ErrGone = errors.New("webpush: the subscription is gone")

// Push encrypts payload for the subscription's browser and hands it to its
// push service.
func (s *Sender) Push(ctx context.Context, sub civicgrid.PushSubscription, payload []byte) error {
	priv := base64.RawURLEncoding.EncodeToString(s.cfg.Key.private.Bytes())
	res, err := webpushgo.SendNotificationWithContext(ctx, payload,
		&webpushgo.Subscription{Endpoint: sub.Endpoint, Keys: webpushgo.Keys{P256dh: sub.P256DH, Auth: sub.Auth}},
		&webpushgo.Options{HTTPClient: s.client, Subscriber: s.cfg.Subject, TTL: int(s.cfg.TTL / time.Second), Urgency: webpushgo.UrgencyNormal,
			VAPIDPublicKey: s.cfg.Key.PublicKey(), VAPIDPrivateKey: priv})
	if err != nil {
		// The endpoint is a capability URL: keep it out of errors and logs.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webpush: %w", err)
	}
	defer res.Body.Close()
	detail, _ := io.ReadAll(io.LimitReader(res.Body, 200))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusGone:
		return ErrGone
	default:
		return fmt.Errorf("webpush: the push service answered %s: %s", res.Status, strings.TrimSpace(string(detail)))
	}
}

// IsGone reports ErrGone.
func (s *Sender) IsGone(err error) bool { return errors.Is(err, ErrGone) }
