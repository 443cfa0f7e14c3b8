package cogovern

import (
	"context"
	"slices"

	"github.com/civicgrid/civicgrid"
)

// Courtyards (院落, courtyard.go in the root package): community staff make
// and edit them; they are the scope of proposals, meetings, votes and
// projects, which then lie in the courtyard's buildings.

// SaveCourtyard makes a courtyard (id 0) or edits one: its name and
// buildings. Every building must be one of the registry's, in the
// courtyard's community, and in no other courtyard.
func (s *Service) SaveCourtyard(ctx context.Context, actor civicgrid.Actor, id int64, in civicgrid.CourtyardInput) (civicgrid.Courtyard, error) {
	if id != 0 {
		old, err := s.Courtyard(ctx, actor, id)
		if err != nil {
			return old, err
		}
		if err := civicgrid.Authorize(actor, civicgrid.ActionManageCourtyard, old.Object()); err != nil {
			return old, err
		}
		if in.Community == "" {
			in.Community = old.Community
		}
	}
	c, err := in.Check()
	if err != nil {
		return c, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageCourtyard, c.Object()); err != nil {
		return c, err
	}
	if err := s.checkArea(ctx, c.Community); err != nil {
		return c, err
	}
	var ps []civicgrid.Problem
	for i, b := range c.Buildings {
		if _, err := s.areas.AreaByCode(ctx, b); civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			ps = append(ps, civicgrid.Problem{Index: i, Code: b, Kind: "building", Detail: "no building " + b + " in the area registry"})
		} else if err != nil {
			return c, err
		}
	}
	if len(ps) > 0 {
		return c, &civicgrid.Error{Code: civicgrid.EINVALID, Message: "the courtyard is not valid; nothing was written", Problems: ps}
	}
	c.ID = id
	return s.store.SaveCourtyard(ctx, c, event(actor, civicgrid.CogovCourtyardMade, s.now()))
}

// Courtyard returns a courtyard of a community the actor takes part in
// (ENOTFOUND otherwise, so ids reveal nothing).
func (s *Service) Courtyard(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.Courtyard, error) {
	return readableByID(ctx, actor, id, s.store.CourtyardByID, "courtyard")
}

// CourtyardView is a courtyard with what its reader may do.
type CourtyardView struct {
	civicgrid.Courtyard
	CanManage bool                   `json:"can_manage"`
	History   []civicgrid.CogovEvent `json:"history,omitempty"`
}

// CourtyardDetail is a courtyard with its history (for staff who keep it).
func (s *Service) CourtyardDetail(ctx context.Context, actor civicgrid.Actor, id int64) (CourtyardView, error) {
	c, err := s.Courtyard(ctx, actor, id)
	if err != nil {
		return CourtyardView{}, err
	}
	v := CourtyardView{Courtyard: c, CanManage: civicgrid.Authorize(actor, civicgrid.ActionManageCourtyard, c.Object()) == nil}
	if v.CanManage {
		v.History, err = s.store.CogovEvents(ctx, civicgrid.CourtyardSubject(id))
	}
	return v, err
}

// Courtyards lists the courtyards of a community (or, with no community,
// of every community the actor takes part in) that the actor may read.
func (s *Service) Courtyards(ctx context.Context, actor civicgrid.Actor, community string) ([]civicgrid.Courtyard, error) {
	within, exact := civicgrid.ParticipationScope(actor)
	if community != "" {
		if civicgrid.LevelOfCode(community) != civicgrid.LevelCommunity {
			return nil, civicgrid.Errorf(civicgrid.EINVALID, "community %q is not a community's code", community)
		}
		if err := civicgrid.Authorize(actor, civicgrid.ActionReadCogov, civicgrid.In(community)); err != nil {
			return nil, err
		}
		within, exact = []string{community}, nil
	}
	cs, err := s.store.Courtyards(ctx, within, exact)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(cs, func(c civicgrid.Courtyard) bool {
		return civicgrid.Authorize(actor, civicgrid.ActionReadCogov, c.Object()) != nil
	}), nil
}

// CourtyardsFor lists the courtyards in which the actor may take the
// action (propose, open a vote, schedule a meeting, start a project): the
// choices of a scope picker.
func (s *Service) CourtyardsFor(ctx context.Context, actor civicgrid.Actor, action civicgrid.Action) ([]civicgrid.Courtyard, error) {
	cs, err := s.Courtyards(ctx, actor, "")
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(cs, func(c civicgrid.Courtyard) bool {
		return civicgrid.Authorize(actor, action, civicgrid.Object{Areas: c.Buildings}) != nil
	}), nil
}

// courtyardScope resolves the courtyard a matter is raised in: area, when
// given, must be its community. An unknown courtyard, or one the actor
// takes no part in, is bad input (nothing reveals which).
func (s *Service) courtyardScope(ctx context.Context, actor civicgrid.Actor, id int64, area string) (string, civicgrid.CourtyardScope, error) {
	if id == 0 {
		return area, civicgrid.CourtyardScope{}, nil
	}
	c, err := s.Courtyard(ctx, actor, id)
	if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
		return area, civicgrid.CourtyardScope{}, civicgrid.Errorf(civicgrid.EINVALID, "no courtyard %d", id)
	}
	if err != nil {
		return area, civicgrid.CourtyardScope{}, err
	}
	if area != "" && area != c.Community {
		return area, civicgrid.CourtyardScope{}, civicgrid.Errorf(civicgrid.EINVALID, "courtyard %d lies in community %s, not %s", id, c.Community, area)
	}
	return c.Community, c.Scope(), nil
}
