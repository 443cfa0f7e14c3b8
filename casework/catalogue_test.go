package casework_test

import (
	"testing"

	"github.com/civicgrid/civicgrid/casework"
)

// TestDefaultCatalogue: the catalogue a new deployment starts with covers
// what residents most often meet in a compound, has somewhere to put the
// rest, and every entry is valid with distinct codes.
func TestDefaultCatalogue(t *testing.T) {
	cats, err := casework.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range cats {
		if seen[c.Code] {
			t.Errorf("code %s twice", c.Code)
		}
		seen[c.Code] = true
		if c.NameZH == "" || c.NameEN == "" || c.RespondWithin == "" || c.ResolveWithin == "" {
			t.Errorf("%s: incomplete: %+v", c.Code, c)
		}
	}
	names := map[string]bool{}
	for _, c := range cats {
		names[c.NameZH] = true
	}
	for _, want := range []string{"电梯故障", "消防通道堵塞", "邻里纠纷", "其他问题"} {
		if !names[want] {
			t.Errorf("the catalogue lacks %s", want)
		}
	}
}
