package casework

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/civicgrid/civicgrid"
)

//go:embed catalogue.json
var catalogueJSON []byte

// catalogueFile is catalogue.json.
type catalogueFile struct {
	Categories     []civicgrid.Category      `json:"categories"`
	ResidentGroups []civicgrid.CategoryGroup `json:"resident_groups"`
	Synonyms       map[string]string         `json:"synonyms"`
}

var readCatalogue = sync.OnceValues(func() (catalogueFile, error) {
	var f catalogueFile
	if err := json.Unmarshal(catalogueJSON, &f); err != nil {
		return f, fmt.Errorf("catalogue.json: %w", err)
	}
	if len(f.ResidentGroups) == 0 {
		return f, fmt.Errorf("catalogue.json: no resident_groups")
	}
	return f, nil
})

// ResidentGroup is a heading of the report page with its categories.
type ResidentGroup struct {
	civicgrid.CategoryGroup
	Items []civicgrid.Category
}

// GroupForResidents arranges the active categories under the headings in
// residents' words, in the order of the data. A category in no group (one an
// admin added) goes under the last heading, "other"; empty headings are left
// out.
func GroupForResidents(cats []civicgrid.Category) ([]ResidentGroup, error) {
	f, err := readCatalogue()
	if err != nil {
		return nil, err
	}
	byCode := map[string]civicgrid.Category{}
	for _, c := range cats {
		if c.Active {
			byCode[c.Code] = c
		}
	}
	groups := make([]ResidentGroup, len(f.ResidentGroups))
	placed := map[string]bool{}
	for i, g := range f.ResidentGroups {
		groups[i].CategoryGroup = g
		for _, code := range g.Categories {
			if c, ok := byCode[code]; ok && !placed[code] {
				groups[i].Items = append(groups[i].Items, c)
				placed[code] = true
			}
		}
	}
	last := &groups[len(groups)-1]
	for _, c := range cats {
		if c.Active && !placed[c.Code] {
			last.Items = append(last.Items, c)
		}
	}
	out := groups[:0]
	for _, g := range groups {
		if len(g.Items) > 0 {
			out = append(out, g)
		}
	}
	return out, nil
}

// Synonyms returns, by category code, words residents use for a category
// that its names and keywords lack, for the report page's search.
func Synonyms() map[string]string {
	f, _ := readCatalogue()
	return f.Synonyms
}

// DefaultCatalogue returns the categories a new deployment starts with.
func DefaultCatalogue() ([]civicgrid.Category, error) {
	f, err := readCatalogue()
	if err != nil {
		return nil, err
	}
	cats := slices.Clone(f.Categories)
	for i := range cats {
		cats[i].Active = true
	}
	return cats, nil
}

// SeedCatalogue stores the default catalogue if the store has no categories
// yet; afterwards the catalogue belongs to the admins.
func (s *Service) SeedCatalogue(ctx context.Context) error {
	have, err := s.store.Categories(ctx)
	if err != nil || len(have) > 0 {
		return err
	}
	cats, err := DefaultCatalogue()
	if err != nil {
		return err
	}
	for _, c := range cats {
		if err := s.CheckCategory(c); err != nil {
			return err
		}
		if err := s.store.PutCategory(ctx, c); err != nil {
			return err
		}
	}
	s.forgetCatalogue()
	return nil
}

// PutCategory validates and stores a category for an admin.
func (s *Service) PutCategory(ctx context.Context, actor civicgrid.Actor, c civicgrid.Category) error {
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageCategories, civicgrid.Object{}); err != nil {
		return err
	}
	if err := s.CheckCategory(c); err != nil {
		return err
	}
	defer s.forgetCatalogue()
	return s.store.PutCategory(ctx, c)
}

// Categories returns the catalogue.
func (s *Service) Categories(ctx context.Context) ([]civicgrid.Category, error) {
	return s.store.Categories(ctx)
}
