package webhook

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// Resolver looks names up; *net.Resolver is one. Tests pass a fake so that
// checking a hook's host never asks a real DNS server.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// block is a range of the IANA special-purpose address registries (RFC 6890
// and successors) that is not globally reachable, with the name shown in
// errors.
type block struct {
	prefix netip.Prefix
	name   string
}

func blocks(pairs ...string) []block {
	bs := make([]block, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		bs = append(bs, block{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return bs
}

// specialV4 lists the IPv4 special-purpose blocks beyond what netip's
// predicates name; the more specific entries come first.
var specialV4 = blocks(
	"0.0.0.0/8", "this network",
	"100.64.0.0/10", "shared address space (carrier-grade NAT)",
	"192.0.0.0/24", "IETF protocol assignments",
	"192.0.2.0/24", "documentation (TEST-NET-1)",
	"192.88.99.0/24", "deprecated 6to4 relay anycast",
	"198.18.0.0/15", "benchmarking",
	"198.51.100.0/24", "documentation (TEST-NET-2)",
	"203.0.113.0/24", "documentation (TEST-NET-3)",
	"255.255.255.255/32", "limited broadcast",
	"240.0.0.0/4", "reserved",
)

// globalV4 are the registry's globally reachable exceptions inside the
// blocks above (PCP and TURN anycast).
var globalV4 = blocks("192.0.0.9/32", "PCP anycast", "192.0.0.10/32", "TURN anycast")

// specialV6 lists the IPv6 special-purpose blocks inside global unicast
// space (2000::/3) that are not globally reachable.
var specialV6 = blocks(
	"2001::/32", "Teredo",
	"2001::/23", "IETF protocol assignments",
	"2001:db8::/32", "documentation",
	"3fff::/20", "documentation",
	"5f00::/16", "segment routing (SRv6) SIDs",
)

// globalV6 are the registry's globally reachable exceptions inside 2001::/23.
var globalV6 = blocks(
	"2001:1::1/128", "PCP anycast",
	"2001:1::2/128", "TURN anycast",
	"2001:1::3/128", "DNS-SD SRP anycast",
	"2001:3::/32", "AMT",
	"2001:4:112::/48", "AS112-v6",
	"2001:20::/28", "ORCHIDv2",
	"2001:30::/28", "drone remote ID",
)

var (
	globalUnicastV6 = netip.MustParsePrefix("2000::/3")
	nat64           = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local      = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour       = netip.MustParsePrefix("2002::/16")
)

// CheckAddr refuses every address a hook may not reach: anything that is
// not globally reachable unicast. IPv4-mapped addresses are judged as the
// IPv4 address they carry, and so are NAT64 (64:ff9b::/96) and 6to4
// (2002::/16) addresses, which a gateway turns into their embedded IPv4
// address.
func CheckAddr(a netip.Addr) error {
	if !a.IsValid() {
		return fmt.Errorf("no address")
	}
	a = a.WithZone("")
	if reason := nonPublic(a); reason != "" {
		return fmt.Errorf("%s is not a public address (%s)", a, reason)
	}
	return nil
}

func nonPublic(a netip.Addr) string {
	switch {
	case a.Is4In6():
		if r := nonPublic(a.Unmap()); r != "" {
			return "IPv4-mapped " + r
		}
		return ""
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return "multicast"
	}
	if a.Is4() {
		return special(a, globalV4, specialV4)
	}
	switch {
	case nat64.Contains(a):
		b := a.As16()
		if r := nonPublic(netip.AddrFrom4([4]byte(b[12:16]))); r != "" {
			return "NAT64 of " + r
		}
		return ""
	case nat64Local.Contains(a):
		return "local-use NAT64 " + nat64Local.String()
	case sixToFour.Contains(a):
		b := a.As16()
		if r := nonPublic(netip.AddrFrom4([4]byte(b[2:6]))); r != "" {
			return "6to4 of " + r
		}
		return ""
	case !globalUnicastV6.Contains(a):
		// Everything outside 2000::/3 is special or unallocated: the
		// IPv4-compatible ::/96, discard-only 100::/64, deprecated
		// site-local fec0::/10 and the rest.
		return "not global unicast (outside " + globalUnicastV6.String() + ")"
	}
	return special(a, globalV6, specialV6)
}

// special names the block of specials holding a, unless an exception in
// globals holds it.
func special(a netip.Addr, globals, specials []block) string {
	for _, b := range globals {
		if b.prefix.Contains(a) {
			return ""
		}
	}
	for _, b := range specials {
		if b.prefix.Contains(a) {
			return b.name + " " + b.prefix.String()
		}
	}
	return ""
}

// RefuseNonPublic is a dialer's Control hook: it runs after name
// resolution and before connecting, so a name that resolves to a local
// address (or is rebound to one after the URL was checked) is stopped too.
// Webhook deliveries and browser push (package webpush) dial through it.
func RefuseNonPublic(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("cannot check address %q: %v", address, err)
	}
	return CheckAddr(ap.Addr())
}

// OutboundClient is the HTTP client for sending to addresses people
// registered (hooks, push endpoints, group robots): its dialer refuses
// non-public addresses unless allowPrivate, it uses no proxy, and a
// redirect is an answer (a failure), not followed. tlsConfig may be nil.
func OutboundClient(timeout time.Duration, allowPrivate bool, tlsConfig *tls.Config) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if !allowPrivate {
		dialer.Control = RefuseNonPublic
	}
	transport := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: 5 * time.Second, MaxIdleConnsPerHost: 4,
		IdleConnTimeout: time.Minute, Proxy: nil, ForceAttemptHTTP2: true, TLSClientConfig: tlsConfig}
	return &http.Client{Transport: transport, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// checkHost judges a new hook's host, giving name resolution 5 s.
func (s *Service) checkHost(ctx context.Context, host string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return CheckHost(ctx, s.cfg.Resolver, host, s.cfg.AllowPrivate)
}

// CheckHost judges the host of a URL the server will send to (a hook's,
// a push subscription's endpoint) when it is stored. Numbers in
// forms other than a canonical dotted quad (0, 127.1, 0x7f000001, 0177.0.0.1)
// are refused outright: resolvers and browsers read them differently, and
// none is needed for a public receiver. With allowPrivate only that
// spelling rule applies; otherwise literal addresses must be public,
// localhost names are refused, and a name must resolve, to public
// addresses only.
func CheckHost(ctx context.Context, resolver Resolver, host string, allowPrivate bool) error {
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return fmt.Errorf("%s: an address with a zone is not allowed", host)
		}
		if allowPrivate {
			return nil
		}
		return CheckAddr(a)
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if numericHost(name) {
		return fmt.Errorf("%s: write an IPv4 address as four decimal numbers (a.b.c.d)", host)
	}
	if allowPrivate {
		return nil
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return fmt.Errorf("%s is a loopback name", host)
	}
	addrs, err := resolver.LookupNetIP(ctx, "ip", name)
	if err != nil || len(addrs) == 0 {
		return fmt.Errorf("%s does not resolve to an address", host)
	}
	for _, a := range addrs {
		if err := CheckAddr(a); err != nil {
			return fmt.Errorf("%s resolves to %w", host, err)
		}
	}
	return nil
}

// numericHost reports a host that URL parsers read as an IPv4 address: its
// last label is a decimal, octal or hexadecimal number (the WHATWG URL
// rule).
func numericHost(name string) bool {
	last := name[strings.LastIndexByte(name, '.')+1:]
	if h, ok := strings.CutPrefix(last, "0x"); ok {
		return strings.Trim(h, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

var _ Resolver = net.DefaultResolver

// StaticResolver answers from a fixed table of names; tests use it so that
// no real DNS server is asked.
type StaticResolver map[string][]netip.Addr

// LookupNetIP returns the addresses listed for host.
func (r StaticResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	as, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return as, nil
}
