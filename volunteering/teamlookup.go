package volunteering

import (
	"context"

	"github.com/civicgrid/civicgrid"
)

// TeamByID returns one team (its kind, community and name), for other
// modules: a lecture names its speakers' lecture team and the lecture
// module checks the team's kind and community through this. A plain read,
// no access decision (as TeamMembers and TeamsOf).
func (s *Service) TeamByID(ctx context.Context, id int64) (civicgrid.Team, error) {
	return s.store.TeamByID(ctx, id)
}
