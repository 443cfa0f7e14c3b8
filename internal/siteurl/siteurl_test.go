package siteurl

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestBase(t *testing.T) {
	r := httptest.NewRequest("GET", "http://10.0.0.5:8080/lectures/1/qr.png", nil)
	if got := Base("", r, false); got != "http://10.0.0.5:8080" {
		t.Errorf("without a public address: %s", got)
	}
	if got := Base("", r, true); got != "https://10.0.0.5:8080" {
		t.Errorf("secure: %s", got)
	}
	if got := Base(" https://grid.example.gov.cn/ ", r, false); got != "https://grid.example.gov.cn" {
		t.Errorf("public address: %s", got)
	}
	if got := Host("https://grid.example.gov.cn", r); got != "grid.example.gov.cn" {
		t.Errorf("host: %s", got)
	}
	if got := Host("", r); got != "10.0.0.5:8080" {
		t.Errorf("host without: %s", got)
	}
	r.TLS = &tls.ConnectionState{}
	if got := Base("", r, false); got != "https://10.0.0.5:8080" {
		t.Errorf("TLS: %s", got)
	}
}
