package web

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestNewProvider(t *testing.T) {
	for _, tc := range []struct {
		name, key, tileURL, attribution string
		want                            string // provider name, or "error: …" (a part of the message)
		datum                           Datum
	}{
		{"", "", "", "", "none", WGS84},
		{"", "", "https://tiles.example.org/{z}/{x}/{y}.png", "", "custom", WGS84},
		{"amap", "", "", "", "amap", GCJ02},
		{"tencent", "", "", "", "tencent", GCJ02},
		{"tianditu", "k3y", "", "", "tianditu", WGS84},
		{"amap", "", "http://127.0.0.1:9000/{z}/{x}/{y}.png", "", "amap", GCJ02}, // a mirror keeps the datum
		{"tianditu", "", "", "", "error: needs a key", ""},
		{"baidu", "", "", "", "error: want one of", ""},
		{"none", "", "https://tiles.example.org/{z}/{x}/{y}.png", "", "error: draws no tiles", ""},
		{"custom", "", "", "", "error: needs a tile URL", ""},
		{"amap", "", "ftp://tiles.example.org/{z}/{x}/{y}.png", "", "error: want an http(s) URL", ""},
	} {
		p, err := NewProvider(tc.name, tc.key, tc.tileURL, tc.attribution)
		if msg, ok := strings.CutPrefix(tc.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), msg) {
				t.Errorf("NewProvider(%q, %q, %q) = %v, want an error saying %q", tc.name, tc.key, tc.tileURL, err, msg)
			}
			continue
		}
		if err != nil || p.Name != tc.want || p.Datum != tc.datum {
			t.Errorf("NewProvider(%q, %q, %q) = %+v, %v; want %s in %s", tc.name, tc.key, tc.tileURL, p, err, tc.want, tc.datum)
		}
	}

	tdt, _ := NewProvider("tianditu", "a&b", "", "")
	if tiles := tdt.config().Tiles; len(tiles) != 2 || !strings.HasSuffix(tiles[0], "tk=a%26b") || !strings.Contains(tiles[1], "cva_w") {
		t.Errorf("tianditu tiles %q: want the map and its labels with the key", tiles)
	}
	if o := tdt.ImageOrigins(); len(o) != 0 {
		t.Errorf("https tiles need no extra image origins, got %q", o)
	}
	local, _ := NewProvider("amap", "", "http://127.0.0.1:9000/tiles/{z}/{x}/{y}.png", "")
	if o := local.ImageOrigins(); !slices.Equal(o, []string{"http://127.0.0.1:9000"}) {
		t.Errorf("image origins %q", o)
	}
	sub, err := NewProvider("custom", "", "http://t{s}.example.org/{z}/{x}/{y}.png", "")
	if err != nil {
		t.Fatal(err)
	}
	if o := sub.ImageOrigins(); !slices.Equal(o, []string{"http://ta.example.org", "http://tb.example.org", "http://tc.example.org"}) {
		t.Errorf("image origins with subdomains %q", o)
	}
}

// mapPage serves the map page with provider p and returns its scripts and
// the script configuration's map.
func mapPage(t *testing.T, p Provider) ([]string, mapConfig) {
	t.Helper()
	ui, err := New(Config{Map: p}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	ui.hasMap = true // as after make build, whether or not this checkout has run it
	mux := http.NewServeMux()
	ui.Register(mux)
	b := body(t, get(t, mux, "/"))
	var scripts []string
	for _, m := range regexp.MustCompile(`<script src="/static/([^"?]+)`).FindAllStringSubmatch(b, -1) {
		scripts = append(scripts, m[1])
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="cg-config">(.*?)</script>`).FindStringSubmatch(b)
	var cfg jsConfig
	if m == nil || json.Unmarshal([]byte(m[1]), &cfg) != nil || cfg.Map == nil {
		t.Fatalf("no map in the page's config")
	}
	return scripts, *cfg.Map
}

func TestMapPageProvider(t *testing.T) {
	none, _ := NewProvider("", "", "", "")
	scripts, cfg := mapPage(t, none)
	if !slices.Equal(scripts, []string{leafletJS, "basemap.js", "map.js"}) {
		t.Errorf("scripts %q", scripts)
	}
	if cfg.Provider != "none" || cfg.Datum != WGS84 || len(cfg.Tiles) != 0 {
		t.Errorf("map config %+v, want the own base layer", cfg)
	}
	amap, _ := NewProvider("amap", "", "", "")
	scripts, cfg = mapPage(t, amap)
	if !slices.Equal(scripts, []string{leafletJS, gcoordJS, "basemap.js", "map.js"}) {
		t.Errorf("scripts %q: want gcoord before basemap.js", scripts)
	}
	if cfg.Provider != "amap" || cfg.Datum != GCJ02 || len(cfg.Tiles) != 1 || cfg.Subdomains != "1234" || !strings.Contains(cfg.Attribution, "高德") {
		t.Errorf("map config %+v", cfg)
	}
}
