package webhook

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

// No test here sends traffic: the classifier and the dialer's hook are
// called directly, and names resolve through fakeResolver.

func TestCheckAddr(t *testing.T) {
	refused := []string{
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "100.64.0.1", "100.127.255.254", "127.0.0.1", "127.255.0.1",
		"169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.1", "192.0.0.170", "192.0.2.10",
		"192.88.99.1", "192.168.1.1", "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9",
		"224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
		"::", "::1", "::127.0.0.1", "::ffff:127.0.0.1", "::ffff:100.64.0.1", "::ffff:10.0.0.1",
		"64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b::6440:1", "64:ff9b::c612:1", "64:ff9b:1::808:808",
		"100::1", "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:2::1", "2001:10::1", "2001:db8::1",
		"2002:7f00:1::1", "2002:a00:1::", "2002:c0a8:101::1", "3fff::1", "5f00::1",
		"fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1", "ff05::2",
	}
	for _, s := range refused {
		if err := CheckAddr(netip.MustParseAddr(s)); err == nil {
			t.Errorf("%s was allowed", s)
		} else if !strings.Contains(err.Error(), "not a public address") {
			t.Errorf("%s: unclear error %q", s, err)
		}
	}
	allowed := []string{
		"1.1.1.1", "8.8.8.8", "93.184.215.14", "100.63.255.255", "100.128.0.1", "172.32.0.1", "192.0.0.9",
		"192.0.0.10", "198.17.255.255", "198.20.0.1", "223.255.255.255",
		"::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "2001:1::1", "2001:3::1", "2001:4:112::1",
		"2001:4860:4860::8888", "2400:3200::1", "2606:4700::1111",
	}
	for _, s := range allowed {
		if err := CheckAddr(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s was refused: %v", s, err)
		}
	}
}

// TestDialControl: the dialer's hook refuses after resolution what creation
// would refuse, so a name rebound to a local address is stopped too.
func TestDialControl(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:443", "100.64.0.1:443", "198.18.0.1:80", "[64:ff9b::7f00:1]:443",
		"[::ffff:10.0.0.1]:80", "[fe80::1%eth0]:80", "[2002:a00:1::]:80", "0.0.0.0:80", "not-an-address:80"} {
		if err := RefuseNonPublic("tcp", addr, nil); err == nil {
			t.Errorf("dial %s allowed", addr)
		}
	}
	for _, addr := range []string{"8.8.8.8:443", "[2606:4700::1111]:443"} {
		if err := RefuseNonPublic("tcp", addr, nil); err != nil {
			t.Errorf("dial %s refused: %v", addr, err)
		}
	}
}

func TestCheckHost(t *testing.T) {
	ctx := context.Background()
	addrs := func(ss ...string) (as []netip.Addr) {
		for _, s := range ss {
			as = append(as, netip.MustParseAddr(s))
		}
		return as
	}
	resolver := StaticResolver{
		"hooks.example.org":  addrs("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
		"rebind.example.org": addrs("93.184.215.14", "127.0.0.1"),
		"cgnat.example.org":  addrs("100.64.0.1"),
		"nat64.example.org":  addrs("64:ff9b::a9fe:a9fe"),
		// Answered as public here: the name must be refused before it is looked up.
		"localhost": addrs("8.8.8.8"),
	}
	refused := []string{
		"localhost", "LOCALHOST", "localhost.", "api.localhost", "0", "0x7f000001", "0X7F000001", "2130706433",
		"127.1", "127.0.1", "0177.0.0.1", "127.000.000.001", "0x7f.0.0.1", "10.0.0.1", "127.0.0.1",
		"::127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::6440:1", "fe80::1%eth0",
		"rebind.example.org", "cgnat.example.org", "nat64.example.org", "unknown.example.org",
	}
	for _, h := range refused {
		if err := CheckHost(ctx, resolver, h, false); err == nil {
			t.Errorf("host %q was allowed", h)
		}
	}
	for _, h := range []string{"hooks.example.org", "HOOKS.example.org.", "8.8.8.8", "2606:4700::1111"} {
		if err := CheckHost(ctx, resolver, h, false); err != nil {
			t.Errorf("host %q was refused: %v", h, err)
		}
	}
	// The operator's switch lets local receivers in, but never odd spellings.
	for _, h := range []string{"localhost", "127.0.0.1", "10.0.0.1", "::1"} {
		if err := CheckHost(ctx, resolver, h, true); err != nil {
			t.Errorf("allowPrivate: host %q was refused: %v", h, err)
		}
	}
	for _, h := range []string{"0x7f000001", "127.1", "0"} {
		if err := CheckHost(ctx, resolver, h, true); err == nil {
			t.Errorf("allowPrivate: host %q was allowed", h)
		}
	}
}
