package casework_test

import (
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
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

// TestResidentGroups: every category of the default catalogue sits under
// exactly one heading in residents' words, "other" (C0099) is the last one,
// and a category an admin adds later still shows, under "other".
func TestResidentGroups(t *testing.T) {
	cats, err := casework.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	groups, err := casework.GroupForResidents(cats)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, g := range groups {
		if g.NameZH == "" || g.NameEN == "" {
			t.Errorf("group %s lacks a name", g.Key)
		}
		for _, c := range g.Items {
			if prev, ok := seen[c.Code]; ok {
				t.Errorf("%s under %s and %s", c.Code, prev, g.Key)
			}
			seen[c.Code] = g.Key
		}
	}
	for _, c := range cats {
		if _, ok := seen[c.Code]; !ok {
			t.Errorf("%s (%s) is under no heading", c.Code, c.NameZH)
		}
		if strings.TrimSpace(casework.Synonyms()[c.Code]) == "" {
			t.Errorf("%s has no synonyms", c.Code)
		}
	}
	if len(groups) < 3 || len(groups) > 6 || groups[len(groups)-1].Key != "other" || seen["C0099"] != "other" {
		t.Fatalf("groups: %d, last %s, C0099 under %s", len(groups), groups[len(groups)-1].Key, seen["C0099"])
	}
	added := append(cats, civicgrid.Category{Code: "C0042", NameZH: "新类别", Active: true}, civicgrid.Category{Code: "C0043", Active: false})
	groups, _ = casework.GroupForResidents(added)
	other := groups[len(groups)-1].Items
	if other[len(other)-1].Code != "C0042" {
		t.Errorf("a new category is not under other: %+v", other)
	}
	for _, g := range groups {
		for _, c := range g.Items {
			if c.Code == "C0043" {
				t.Errorf("an inactive category is offered")
			}
		}
	}
}
