package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// The import's dry run lists every problem with the geometry of the area it
// concerns, answers the file's areas, and writes nothing; the import then
// refuses the same file.
func TestCheckImportWritesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	token, _, _ := f.db.CreateAPIToken(ctx, civicgrid.APIToken{Name: "t", Role: civicgrid.RoleCityAdmin, AreaCode: "4201"}, civicgrid.SecurityEvent{})
	var grids []civicgrid.Area
	for _, a := range f.city.Areas {
		if a.Level == civicgrid.LevelGrid {
			grids = append(grids, a)
		}
	}
	// A grid moved onto its neighbour, and a grid whose community does not exist.
	moved := grids[0]
	moved.Name += "（新）"
	moved.Geometry = grids[1].Geometry
	orphan := grids[2]
	orphan.Code = "420102099099001"
	orphan.ParentCode = "420102099099"
	body := gridsJSON(t, []civicgrid.Area{moved, orphan})
	gen0, _ := f.db.AreaGeneration(ctx)

	var out struct {
		OK    bool `json:"ok"`
		Areas struct {
			Features []struct{ Properties map[string]any } `json:"features"`
		} `json:"areas"`
		Problems []struct {
			civicgrid.Problem
			Geometry *struct {
				Type string `json:"type"`
			} `json:"geometry"`
		} `json:"problems"`
		Preview civicgrid.ImportResult `json:"preview"`
	}
	if st := f.do(t, "POST", "/api/v1/admin/areas/check", token, strings.NewReader(body), &out); st != 200 {
		t.Fatalf("check: %d", st)
	}
	if out.OK || len(out.Areas.Features) != 2 {
		t.Fatalf("ok %v with %d areas, want problems and the 2 areas", out.OK, len(out.Areas.Features))
	}
	kinds := map[string]bool{}
	for _, p := range out.Problems {
		kinds[p.Kind] = true
		if p.Code != "" && (p.Geometry == nil || p.Geometry.Type == "") {
			t.Errorf("problem %s of %s has no geometry", p.Kind, p.Code)
		}
		if p.Kind == "overlap" && p.At == nil {
			t.Errorf("the overlap of %s has no place", p.Code)
		}
	}
	var seen []string
	for k := range kinds {
		seen = append(seen, k)
	}
	if !strings.Contains(strings.Join(seen, " "), "overlap") || !strings.Contains(strings.Join(seen, " "), "parent") {
		t.Errorf("problem kinds %v, want an overlap and a missing parent", seen)
	}
	if gen, _ := f.db.AreaGeneration(ctx); gen != gen0 {
		t.Fatal("the check changed the store")
	}
	var e apiError
	if st := f.do(t, "POST", "/api/v1/admin/areas/import", token, strings.NewReader(body), &e); st != 400 || len(e.Error.Problems) != len(out.Problems) {
		t.Errorf("import of the checked file: %d with %d problems, want 400 with %d", st, len(e.Error.Problems), len(out.Problems))
	}

	// A file that does not decode: its problems, no areas.
	out.Problems = nil
	if st := f.do(t, "POST", "/api/v1/admin/areas/check", token, strings.NewReader(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"12"},"geometry":null}]}`), &out); st != 200 || out.OK || len(out.Problems) == 0 {
		t.Errorf("undecodable file: %d ok=%v problems=%d", st, out.OK, len(out.Problems))
	}

	// A good file checks clean.
	good := grids[0]
	good.Name += "（新）"
	out.Problems = nil
	if st := f.do(t, "POST", "/api/v1/admin/areas/check", token, strings.NewReader(gridsJSON(t, []civicgrid.Area{good})), &out); st != 200 || !out.OK || len(out.Problems) != 0 {
		t.Errorf("good file: %d ok=%v problems=%+v", st, out.OK, out.Problems)
	}
	if want := (civicgrid.ImportResult{Redrawn: 1}); out.Preview != want {
		t.Errorf("good file's preview %v, want %v", out.Preview, want)
	}
	// A stored grid sent back as it is: the preview compares as the store does.
	if st := f.do(t, "POST", "/api/v1/admin/areas/check", token, strings.NewReader(gridsJSON(t, []civicgrid.Area{grids[3]})), &out); st != 200 || !out.OK {
		t.Fatalf("unchanged grid: %d ok=%v problems=%+v", st, out.OK, out.Problems)
	}
	if want := (civicgrid.ImportResult{Unchanged: 1}); out.Preview != want {
		t.Errorf("unchanged grid's preview %v, want %v", out.Preview, want)
	}
}
