package cogovern

import (
	"context"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/photo"
)

// Projects beyond their start: spending against the budget and edits with
// a reason (project_spending.go of the root package).

// AddSpending records money spent on a project. An entry that takes the
// total past the budget needs a reason, shown beside it to everyone who
// reads the project and written into its history; without one it is
// refused and nothing is written.
func (s *Service) AddSpending(ctx context.Context, actor civicgrid.Actor, id int64, in civicgrid.SpendingInput) (civicgrid.Spending, error) {
	p, err := s.managedProject(ctx, actor, id)
	if err != nil {
		return civicgrid.Spending{}, err
	}
	now := s.local(s.now())
	sp, err := in.Check(p.StartsOn, now, now.Location())
	if err != nil {
		return sp, err
	}
	if sp.Receipt != "" {
		var has func(string) bool
		if s.proj.Photos != nil {
			has = s.proj.Photos.Has
		}
		if msg := photo.RefProblem(sp.Receipt, has); msg != "" {
			return civicgrid.Spending{}, civicgrid.Errorf(civicgrid.EINVALID, "receipt: %s", msg)
		}
	}
	sp.ProjectID, sp.CreatedBy, sp.Author = id, actor.UserID, civicgrid.MaskName(actor.Name)
	sp, err = s.store.AddSpending(ctx, sp, event(actor, civicgrid.CogovProjectSpending, s.now()))
	sp.CreatedBy = 0
	return sp, err
}

// EditProject changes a started project's title, owner or start with a
// reason (the old and new values in its history). An ended project
// (evaluate, share) is not edited.
func (s *Service) EditProject(ctx context.Context, actor civicgrid.Actor, id int64, e civicgrid.ProjectEdit) (ProjectView, error) {
	p, err := s.managedProject(ctx, actor, id)
	if err != nil {
		return ProjectView{}, err
	}
	edited, reason, err := e.Apply(p, s.now())
	if err != nil {
		return ProjectView{}, err
	}
	if p.Phase == civicgrid.PhaseEvaluate || p.Phase == civicgrid.PhaseShare {
		return ProjectView{}, civicgrid.Errorf(civicgrid.ECONFLICT, "project %d has ended (phase %s): it is not edited", id, p.Phase)
	}
	ev := event(actor, civicgrid.CogovProjectEdited, s.now())
	ev.Note = reason
	if _, err := s.store.EditProject(ctx, edited, ev); err != nil {
		return ProjectView{}, err
	}
	return s.Project(ctx, actor, id)
}
