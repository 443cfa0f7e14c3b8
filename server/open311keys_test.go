package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// A city admin makes an Open311 key through the API: the key is answered
// once, listed afterwards by its prefix only, works until it is revoked
// and is refused after.
func TestOpen311KeysThroughTheAPI(t *testing.T) {
	e, c, _ := newO311Env(t)
	admin := e.login(civicgrid.RoleCityAdmin, "420100")
	lat, lng := e.point(e.chain)
	file := func(key string) int {
		st, _ := c.post("/open311/v2/requests.json", url.Values{"api_key": {key}, "service_code": {"C0005"},
			"lat": {fmt.Sprint(lat)}, "long": {fmt.Sprint(lng)}, "description": {"水管破裂"}}, "")
		return st
	}

	var made struct {
		Key    civicgrid.Open311Key `json:"key"`
		Secret string               `json:"secret"`
	}
	if st, b := e.call(admin, "POST", "/api/v1/open311/keys", map[string]string{"name": " 市民热线 "}, &made); st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, b)
	}
	if !strings.HasPrefix(made.Secret, "o311_") || made.Key.Prefix != made.Secret[:12] || made.Key.Name != "市民热线" {
		t.Fatalf("made %+v with secret %q", made.Key, made.Secret)
	}
	st, list := e.call(admin, "GET", "/api/v1/open311/keys", nil, nil)
	if st != http.StatusOK || strings.Contains(list, made.Secret) || !strings.Contains(list, `"prefix":"`+made.Key.Prefix+`"`) {
		t.Fatalf("list: %d %s", st, list)
	}
	if st := file(made.Secret); st != http.StatusCreated {
		t.Fatalf("filing with the new key: %d", st)
	}

	// Bad names write nothing.
	for _, name := range []string{"", "   ", strings.Repeat("长", 81)} {
		if st, b := e.call(admin, "POST", "/api/v1/open311/keys", map[string]string{"name": name}, nil); st != http.StatusBadRequest {
			t.Errorf("name %q: %d %s, want 400", name, st, b)
		}
	}
	keys, err := e.db.Open311Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 { // the environment's own and the one made here
		t.Errorf("%d keys after the refusals, want 2", len(keys))
	}

	if st, b := e.call(admin, "DELETE", fmt.Sprintf("/api/v1/open311/keys/%d", made.Key.ID), nil, nil); st != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", st, b)
	}
	if st, _ := e.call(admin, "DELETE", fmt.Sprintf("/api/v1/open311/keys/%d", made.Key.ID), nil, nil); st != http.StatusNotFound {
		t.Errorf("revoking twice: %d, want 404", st)
	}
	if st := file(made.Secret); st != http.StatusForbidden {
		t.Errorf("filing with a revoked key: %d, want 403", st)
	}
	evs, err := e.db.ListSecurityEvents(t.Context(), civicgrid.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range evs {
		if strings.HasPrefix(ev.Kind, "open311_key.") {
			kinds = append(kinds, ev.Kind)
		}
	}
	if strings.Join(kinds, " ") != "open311_key.revoked open311_key.created" {
		t.Errorf("security log: %v, want the creation and the revocation", kinds)
	}
}
