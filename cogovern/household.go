package cogovern

import (
	"context"

	"github.com/civicgrid/civicgrid"
)

// Households (户) of a building: community staff keep them (flats,
// members, the representative, the owner and the floor area), every change
// in the security log; a member sees their own household. Everything is
// masked as it leaves the service.

// Households returns a building's households, masked, for community staff.
func (s *Service) Households(ctx context.Context, actor civicgrid.Actor, building string) ([]civicgrid.Household, error) {
	if civicgrid.LevelOfCode(building) != civicgrid.LevelBuilding {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "households belong to a building, not %q", building)
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadHouseholds, civicgrid.In(building)); err != nil {
		return nil, err
	}
	if err := s.checkArea(ctx, building); err != nil {
		return nil, err
	}
	hs, err := s.store.Households(ctx, building)
	for i := range hs {
		hs[i] = maskHousehold(hs[i])
	}
	return hs, err
}

// MyHousehold returns the actor's own household, masked like the staff's
// view (they see who else is in it by masked name, as staff do).
func (s *Service) MyHousehold(ctx context.Context, actor civicgrid.Actor) (civicgrid.Household, error) {
	h, err := s.store.HouseholdOf(ctx, actor.UserID)
	if err != nil {
		return h, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReadHouseholds, h.Object(actor.UserID)); err != nil {
		return civicgrid.Household{}, err
	}
	return maskHousehold(h), nil
}

func maskHousehold(h civicgrid.Household) civicgrid.Household {
	h.Owner = civicgrid.MaskName(h.Owner)
	for i := range h.CoOwners {
		h.CoOwners[i] = civicgrid.MaskName(h.CoOwners[i])
	}
	for i := range h.Members {
		h.Members[i].Name, h.Members[i].Phone = civicgrid.MaskName(h.Members[i].Name), civicgrid.MaskPhone(h.Members[i].Phone)
	}
	return h
}

// ImportHouseholds applies rows (from the staff form or a CSV import) to a
// building's households: all rows or none.
func (s *Service) ImportHouseholds(ctx context.Context, actor civicgrid.Actor, building string, rows []civicgrid.HouseholdRow) (int, error) {
	if civicgrid.LevelOfCode(building) != civicgrid.LevelBuilding {
		return 0, civicgrid.Errorf(civicgrid.EINVALID, "households belong to a building, not %q", building)
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageHouseholds, civicgrid.In(building)); err != nil {
		return 0, err
	}
	if err := s.checkArea(ctx, building); err != nil {
		return 0, err
	}
	rows, err := civicgrid.CheckHouseholdRows(rows)
	if err != nil {
		return 0, err
	}
	return s.store.ApplyHouseholdRows(ctx, building, rows, civicgrid.SecurityEvent{At: s.now(), Kind: civicgrid.EventHouseholdChanged,
		Outcome: "ok", ActorID: actor.UserID, Actor: actor.Label()})
}
