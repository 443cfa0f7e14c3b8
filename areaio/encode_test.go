package areaio

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

// roundTrip encodes areas and decodes them again.
func roundTrip(t testing.TB, areas []civicgrid.Area) []civicgrid.Area {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, areas); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("Encode wrote invalid JSON:\n%s", buf.String())
	}
	got, err := Decode(&buf, Options{})
	if err != nil {
		t.Fatalf("decoding what Encode wrote: %v", err)
	}
	return got
}

// sameAreas compares what the format carries (not ID or ValidTo).
func sameAreas(t testing.TB, got, want []civicgrid.Area) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d areas, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Code != w.Code || g.Level != w.Level || g.Name != w.Name || g.ParentCode != w.ParentCode || g.Number != w.Number {
			t.Errorf("area %d: got %+v, want %+v", i, g, w)
		}
		if !g.ValidFrom.Equal(w.ValidFrom) {
			t.Errorf("area %d valid_from: got %v, want %v", i, g.ValidFrom, w.ValidFrom)
		}
		if !equalWorkers(g.Workers, w.Workers) {
			t.Errorf("area %d workers: got %#v, want %#v", i, g.Workers, w.Workers)
		}
		if !reflect.DeepEqual(g.Geometry, w.Geometry) {
			t.Errorf("area %d geometry: got %v, want %v", i, g.Geometry, w.Geometry)
		}
	}
}

func TestRoundTripExample(t *testing.T) {
	areas, err := Decode(bytes.NewReader(readFile(t, exampleFile)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameAreas(t, roundTrip(t, areas), areas)
}

func TestRoundTripEveryField(t *testing.T) {
	from := time.Date(2024, 3, 1, 8, 30, 0, 123456789, time.UTC)
	hole := orb.Polygon{
		{{114.3, 30.55}, {114.304, 30.55}, {114.304, 30.553}, {114.3, 30.553}, {114.3, 30.55}},
		{{114.301, 30.551}, {114.301, 30.552}, {114.302, 30.552}, {114.302, 30.551}, {114.301, 30.551}},
	}
	areas := []civicgrid.Area{
		{Code: "420100", Level: civicgrid.LevelCity, Name: "武汉市", ValidFrom: from},
		{Code: "420106", Level: civicgrid.LevelDistrict, Name: "武昌区", ParentCode: "420100"},
		{Code: "420106002", Level: civicgrid.LevelStreet, Name: "A&B <街道>", ParentCode: "420106", Geometry: orb.MultiPolygon{hole, {{{114.31, 30.55}, {114.32, 30.55}, {114.32, 30.56}, {114.31, 30.55}}}}},
		{Code: "420106002001001", Level: civicgrid.LevelGrid, Name: "网格 \"一\"", ParentCode: "420106002001", Geometry: hole,
			Workers: []civicgrid.Worker{{Name: "张三", Phone: "13800138000"}, {Name: "李四"}}},
		{Code: "420106002001002", Level: civicgrid.LevelGrid, Name: "空名单", ParentCode: "420106002001", Geometry: hole, Workers: []civicgrid.Worker{}},
		{Code: "4201060020010010001", Level: civicgrid.LevelBuilding, Name: "1栋", ParentCode: "420106002001001", Number: "1-A", Geometry: orb.Point{114.3012345, -0.0000001}},
	}
	got := roundTrip(t, areas)
	sameAreas(t, got, areas)
	if got[4].Workers == nil {
		t.Error("an empty workers list (which clears a grid's workers) came back as absent")
	}
	if got[2].Workers != nil {
		t.Error("absent workers came back as a list")
	}
}

func TestEncodeFormat(t *testing.T) {
	var buf bytes.Buffer
	err := Encode(&buf, []civicgrid.Area{
		{Code: "420106", Level: civicgrid.LevelDistrict, Name: "武昌区", ValidFrom: time.Date(2023, 12, 31, 16, 0, 0, 0, time.UTC)},
		{Code: "420106002", Level: civicgrid.LevelStreet, Name: "示例街道", ParentCode: "420106", Geometry: orb.Polygon{{{114.3, 30.55}, {114.31, 30.55}, {114.3, 30.56}, {114.3, 30.55}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"level":"district","code":"420106","name":"武昌区","valid_from":"2024-01-01T00:00:00+08:00"},"geometry":null},
{"type":"Feature","properties":{"level":"street","code":"420106002","name":"示例街道","parent":"420106"},"geometry":{"type":"Polygon","coordinates":[[[114.3,30.55],[114.31,30.55],[114.3,30.56],[114.3,30.55]]]}}
]}
`
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	buf.Reset()
	if err := Encode(&buf, nil); err != nil || !strings.Contains(buf.String(), `"features":[`) {
		t.Errorf("no areas: %q, %v", buf.String(), err)
	}
	if areas, err := Decode(&buf, Options{}); err != nil || len(areas) != 0 {
		t.Errorf("decoding an empty collection: %v, %v", areas, err)
	}
}

func TestRoundTripSyntheticCity(t *testing.T) {
	city := syntheticCity(100, meshExact)
	sameAreas(t, roundTrip(t, city), city)
}
