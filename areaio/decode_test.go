package areaio

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/civicgrid/civicgrid"
)

const exampleFile = "../examples/areas-example.geojson"

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// problemsOf returns the problems of an EINVALID error, failing otherwise.
func problemsOf(t *testing.T, err error) []civicgrid.Problem {
	t.Helper()
	var e *civicgrid.Error
	if !errors.As(err, &e) || e.Code != civicgrid.EINVALID {
		t.Fatalf("want an EINVALID *civicgrid.Error, got %v", err)
	}
	if len(e.Problems) == 0 {
		t.Fatalf("EINVALID error without problems: %v", err)
	}
	return e.Problems
}

func TestImportExample(t *testing.T) {
	store := newMemStore()
	res, err := Import(context.Background(), store, bytes.NewReader(readFile(t, exampleFile)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (civicgrid.ImportResult{Created: 7}); got != want {
		t.Errorf("first import: got %v, want %v", got, want)
	}
	grid, err := store.AreaByCode(context.Background(), "420106002001001")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := grid.Workers, []civicgrid.Worker{{Name: "张三", Phone: "13800138000"}}; !equalWorkers(got, want) {
		t.Errorf("workers: got %v, want %v", got, want)
	}
	if got, want := grid.ValidFrom.Format("2006-01-02T15:04:05Z07:00"), "2023-12-31T16:00:00Z"; got != want {
		t.Errorf("valid_from 2024-01-01 is midnight in UTC+8: got %s, want %s", got, want)
	}

	// The same file again changes nothing.
	res, err = Import(context.Background(), store, bytes.NewReader(readFile(t, exampleFile)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (civicgrid.ImportResult{Unchanged: 7}); got != want {
		t.Errorf("second import: got %v, want %v", got, want)
	}
}

// TestBadFiles imports one small file per kind of problem and checks the
// exact problem reported and that nothing reached the store.
func TestBadFiles(t *testing.T) {
	tests := []struct {
		kind  string
		index int
		code  string
	}{
		{KindMalformedJSON, -1, ""},
		{KindNotFeatureCollection, -1, ""},
		{KindBadCRS, -1, ""},
		{KindBadFeature, 1, ""},
		{KindMissingProperty, 1, "420106002"},
		{KindBadProperty, 1, "420106002"},
		{KindBadLevel, 1, "420106002"},
		{KindBadCode, 2, "420106003001"},
		{KindDuplicateCode, 4, "420106002001001"},
		{KindBadGeometryType, 2, "420106002001"},
		{KindBadGeometry, 2, "420106002001"},
		{KindBadCoordinate, 2, "420106002001"},
		{KindSwappedCoordinates, 2, "420106002001"},
		{KindRingNotClosed, 2, "420106002001"},
		{KindRingTooFewPoints, 2, "420106002001"},
		{KindDegenerateRing, 2, "420106002001"},
		{KindSelfIntersection, 2, "420106002001"},
		{KindBadHole, 2, "420106002001"},
		{KindMissingParent, 2, "420106002001001"},
		{KindOutsideParent, 3, "420106002001001"},
		{KindOverlap, 3, "420106002001001"},
		{KindGap, 2, "420106002001"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.kind+".geojson"] = true
		t.Run(tt.kind, func(t *testing.T) {
			store := newMemStore()
			data := readFile(t, filepath.Join("testdata", "bad", tt.kind+".geojson"))
			_, err := Import(context.Background(), store, bytes.NewReader(data), Options{})
			problems := problemsOf(t, err)
			if len(problems) != 1 {
				t.Errorf("want exactly one problem, got %d:\n%v", len(problems), err)
			}
			p := problems[0]
			if p.Kind != tt.kind || p.Index != tt.index || p.Code != tt.code {
				t.Errorf("got %s at feature %d code %q, want %s at feature %d code %q\n%v", p.Kind, p.Index, p.Code, tt.kind, tt.index, tt.code, err)
			}
			if p.Detail == "" {
				t.Error("the problem has no detail")
			}
			if store.applyCalls != 0 {
				t.Errorf("ApplyAreas called %d times for a bad file", store.applyCalls)
			}
			t.Log(p)
		})
	}
	// Every file in testdata/bad is in the table.
	files, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.geojson"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no entry in the table", f)
		}
	}
}

func TestProblemDetails(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"malformed_json", "line 3, column 3"},
		{"swapped_coordinates", "latitude and longitude look swapped"},
		{"self_intersection", "at [114.302, 30.5515]"},
		{"bad_coordinate", "[214.304, 30.55] is out of range"},
		{"overlap", "feature 3) overlaps grid 420106002001002 (feature 4) near [114.30205, 30.5515] (3180.1 m²)"},
		{"gap", "(3180.1 m²)"},
	}
	for _, tt := range tests {
		_, err := Import(context.Background(), newMemStore(), bytes.NewReader(readFile(t, filepath.Join("testdata", "bad", tt.file+".geojson"))), Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: want a message containing %q, got %v", tt.file, tt.want, err)
		}
	}
}

func TestDecodeTooLarge(t *testing.T) {
	data := readFile(t, exampleFile)
	_, err := Decode(bytes.NewReader(data), Options{MaxBytes: 1024})
	if got := civicgrid.ErrorCode(err); got != civicgrid.ETOOLARGE {
		t.Fatalf("got %v (code %q), want code %q", err, got, civicgrid.ETOOLARGE)
	}
	if !strings.Contains(err.Error(), "1 KiB") {
		t.Errorf("the message should state the limit: %v", err)
	}
	// Exactly at the limit is fine.
	if _, err := Decode(bytes.NewReader(data), Options{MaxBytes: int64(len(data))}); err != nil {
		t.Errorf("a file of exactly MaxBytes: %v", err)
	}
	store := newMemStore()
	if _, err := Import(context.Background(), store, bytes.NewReader(data), Options{MaxBytes: 1024}); civicgrid.ErrorCode(err) != civicgrid.ETOOLARGE || store.applyCalls != 0 {
		t.Errorf("Import of an oversize file: %v, %d ApplyAreas calls", err, store.applyCalls)
	}
}

// TestDecodeListsEveryProblem: one file, many mistakes, all of them listed.
func TestDecodeListsEveryProblem(t *testing.T) {
	data := `{"type": "FeatureCollection", "features": [
	{"type": "Feature", "properties": {"level": "district", "code": "42010", "name": "x"}, "geometry": null},
	{"type": "Feature", "properties": {"level": "town", "code": "420106002", "name": "x", "parent": "420106"}, "geometry": null},
	{"type": "Feature", "properties": {"level": "street", "code": 420106002, "parent": "420106"}, "geometry": {"type": "Polygon", "coordinates": [[[114.3, 30.55], [114.31, 30.55], [114.3, 30.56]]]}},
	{"type": "Feature", "properties": {"level": "grid", "code": "420106002001001", "name": "x", "parent": "420106002001", "number": "3"},
	 "geometry": {"type": "Polygon", "coordinates": [[[114.3, 30.55], [114.31, 30.55], [114.31, 1e999], [114.3, 30.55]]]}}
	]}`
	_, err := Decode(strings.NewReader(data), Options{})
	problems := problemsOf(t, err)
	type key struct {
		index int
		kind  string
	}
	want := []key{
		{0, KindBadCode},
		{1, KindBadLevel},
		{2, KindBadCode},
		{2, KindMissingProperty},
		{2, KindRingTooFewPoints},
		{3, KindBadProperty},
		{3, KindBadCoordinate},
	}
	var got []key
	for _, p := range problems {
		got = append(got, key{p.Index, p.Kind})
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v\n%v", got, want, err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("problem %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestDecodeMaxProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"type": "FeatureCollection", "features": [`)
	for i := range 50 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"type": "Feature", "properties": {"level": "nowhere", "code": "1", "name": "x"}, "geometry": null}`)
	}
	b.WriteString("]}")
	_, err := Decode(strings.NewReader(b.String()), Options{MaxProblems: 10})
	problems := problemsOf(t, err)
	if got, want := len(problems), 11; got != want {
		t.Fatalf("got %d problems, want %d (10 and a note)", got, want)
	}
	if last := problems[10]; last.Kind != KindTooManyProblems {
		t.Errorf("last problem: got %v, want kind %s", last, KindTooManyProblems)
	}
}

func TestDecodeRoundsCoordinates(t *testing.T) {
	data := `{"type": "FeatureCollection", "features": [{"type": "Feature",
	 "properties": {"level": "building", "code": "4201060020010010001", "name": "1栋", "parent": "420106002001001", "number": 1},
	 "geometry": {"type": "Point", "coordinates": [114.301234567890, 30.5512345649, 21.5]}}]}`
	areas, err := Decode(strings.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := areas[0].Geometry, (orb.Point{114.3012346, 30.5512346}); got != want {
		t.Errorf("got %v, want %v (rounded to 1e-7, altitude dropped)", got, want)
	}
	if got, want := areas[0].Number, "1"; got != want {
		t.Errorf("number: got %q, want %q", got, want)
	}
}

func equalWorkers(a, b []civicgrid.Worker) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Phone != b[i].Phone {
			return false
		}
	}
	return true
}

func TestMaskedPhoneRefused(t *testing.T) {
	data := `{"type": "FeatureCollection", "features": [{"type": "Feature",
	 "properties": {"level": "grid", "code": "420106002001001", "name": "第一网格", "parent": "420106002001",
	  "workers": [{"name": "张三", "phone": "138****8000"}]},
	 "geometry": {"type": "Polygon", "coordinates": [[[114.3, 30.55], [114.302, 30.55], [114.302, 30.553], [114.3, 30.55]]]}}]}`
	_, err := Decode(strings.NewReader(data), Options{})
	if problems := problemsOf(t, err); len(problems) != 1 || problems[0].Kind != KindBadProperty || !strings.Contains(problems[0].Detail, "masked") {
		t.Errorf("got %v", err)
	}
}
