// Package siteurl gives the site's address for the links that leave the
// page: QR codes (door codes, certificates), printed sheets, feeds.
package siteurl

import (
	"net/http"
	"net/url"
	"strings"
)

// Base is the site's address without a trailing slash: public (the
// --public-url) when set, else the address the request reached — its Host,
// https when it came over TLS or secure says the site is served over https
// (behind a proxy). A QR code printed from a request made on an internal
// name or address then still points where people reach the site.
func Base(public string, r *http.Request, secure bool) string {
	if p := strings.TrimRight(strings.TrimSpace(public), "/"); p != "" {
		return p
	}
	scheme := "http"
	if r.TLS != nil || secure {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Host is the host (and port) of Base.
func Host(public string, r *http.Request) string {
	if u, err := url.Parse(strings.TrimSpace(public)); err == nil && u.Host != "" {
		return u.Host
	}
	return r.Host
}
