package web

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Datum is the coordinate system a base map's tiles are drawn in.
type Datum string

const (
	// WGS84 is what GPS reports and civicgrid stores; Tianditu's CGCS2000
	// differs from it by centimetres, far below what a map shows.
	WGS84 Datum = "wgs84"
	// GCJ02 is the shifted datum that maps published in China (AMap,
	// Tencent) are drawn in: a WGS-84 point lands a few hundred metres off
	// unless it is shifted first. The pages shift in the browser (gcoord).
	GCJ02 Datum = "gcj02"
)

// Provider is a base map: where its tiles come from, the datum they are
// drawn in and how its app is opened for directions.
type Provider struct {
	Name  string // none, tianditu, amap, tencent, custom
	Datum Datum
	// Layers are Leaflet tile URL templates drawn in order (Tianditu: the
	// map, then its labels). {s} takes one of Subdomains; {k} the key.
	Layers      []string
	Subdomains  string
	Attribution string
	// NeedsKey: the provider refuses tiles without a key (Key).
	NeedsKey bool
	Key      string
}

// providers are the built-in base maps. "none" draws the city's own base
// layer from the area registry (served by /api/v1/basemap.geojson).
var providers = map[string]Provider{
	"none": {Name: "none", Datum: WGS84},
	"tianditu": {Name: "tianditu", Datum: WGS84, NeedsKey: true, Subdomains: "01234567",
		Layers: []string{
			"https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={k}",
			"https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={k}",
		},
		Attribution: "天地图 · 国家地理信息公共服务平台"},
	"amap": {Name: "amap", Datum: GCJ02, Subdomains: "1234",
		Layers:      []string{"https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"},
		Attribution: "高德地图 AMap"},
	"tencent": {Name: "tencent", Datum: GCJ02, Subdomains: "0123",
		Layers:      []string{"https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={-y}&styleid=1000&scene=0&version=347"},
		Attribution: "腾讯地图 Tencent Maps"},
	"custom": {Name: "custom", Datum: WGS84},
}

// ProviderNames lists the built-in providers for flags and errors.
func ProviderNames() []string {
	names := make([]string, 0, len(providers))
	for n := range providers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// NewProvider picks a built-in provider. tileURL, when set, replaces its
// tile URL (a mirror or caching proxy of the same tiles: the datum and the
// directions link stay the provider's); with the name empty or "custom" it
// is a WGS-84 tile layer of one's own. attribution, when set, replaces the
// provider's. A provider that needs a key refuses to start without one.
func NewProvider(name, key, tileURL, attribution string) (Provider, error) {
	if name == "" {
		name = "none"
		if tileURL != "" {
			name = "custom"
		}
	}
	p, ok := providers[name]
	if !ok {
		return Provider{}, fmt.Errorf("map provider %q: want one of %s", name, strings.Join(ProviderNames(), ", "))
	}
	if tileURL != "" {
		if name == "none" {
			return Provider{}, fmt.Errorf("map provider none draws no tiles: drop the tile URL or choose a provider")
		}
		u, err := url.Parse(strings.ReplaceAll(tileURL, "{s}", "a")) // {s} may stand in the host
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Provider{}, fmt.Errorf("tile URL %q: want an http(s) URL template such as https://tiles.example.org/{z}/{x}/{y}.png", tileURL)
		}
		p.Layers = []string{tileURL}
		switch {
		case !strings.Contains(tileURL, "{s}"):
			p.Subdomains = ""
		case p.Subdomains == "":
			p.Subdomains = "abc" // Leaflet's usual subdomains
		}
	}
	if name == "custom" && len(p.Layers) == 0 {
		return Provider{}, fmt.Errorf("map provider custom needs a tile URL")
	}
	if attribution != "" {
		p.Attribution = attribution
	}
	p.Key = key
	if p.NeedsKey && key == "" && tileURL == "" {
		return Provider{}, fmt.Errorf("map provider %s needs a key (--map-key)", name)
	}
	return p, nil
}

// tiles are the provider's layers with the key filled in, for the pages.
func (p Provider) tiles() []string {
	out := make([]string, len(p.Layers))
	for i, l := range p.Layers {
		out[i] = strings.ReplaceAll(l, "{k}", url.QueryEscape(p.Key))
	}
	return out
}

// ImageOrigins are the origins the pages fetch tiles from, for the
// Content-Security-Policy's img-src (every https origin is allowed already).
func (p Provider) ImageOrigins() []string {
	var out []string
	for _, l := range p.Layers {
		subs := []string{""}
		if strings.Contains(l, "{s}") && p.Subdomains != "" {
			subs = strings.Split(p.Subdomains, "")
		}
		for _, s := range subs {
			u, err := url.Parse(strings.ReplaceAll(l, "{s}", s))
			if err != nil || u.Scheme != "http" {
				continue
			}
			if o := u.Scheme + "://" + u.Host; !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

// mapConfig is the base map as the page scripts see it.
type mapConfig struct {
	Provider    string   `json:"provider"`
	Datum       Datum    `json:"datum"`
	Tiles       []string `json:"tiles,omitempty"`
	Subdomains  string   `json:"subdomains,omitempty"`
	Attribution string   `json:"attribution,omitempty"`
}

func (p Provider) config() *mapConfig {
	if p.Name == "" {
		p = providers["none"]
	}
	return &mapConfig{Provider: p.Name, Datum: p.Datum, Tiles: p.tiles(), Subdomains: p.Subdomains, Attribution: p.Attribution}
}
