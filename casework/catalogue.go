package casework

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/civicgrid/civicgrid"
)

//go:embed catalogue.json
var catalogueJSON []byte

// DefaultCatalogue returns the categories a new deployment starts with.
func DefaultCatalogue() ([]civicgrid.Category, error) {
	var f struct {
		Categories []civicgrid.Category `json:"categories"`
	}
	if err := json.Unmarshal(catalogueJSON, &f); err != nil {
		return nil, fmt.Errorf("catalogue.json: %w", err)
	}
	for i := range f.Categories {
		f.Categories[i].Active = true
	}
	return f.Categories, nil
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
