package search

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// fakeIndex records the query the service hands the store.
type fakeIndex struct{ got civicgrid.SearchQuery }

func (f *fakeIndex) Search(_ context.Context, q civicgrid.SearchQuery) ([]civicgrid.SearchHit, error) {
	f.got = q
	return nil, nil
}

type fakeTeams struct {
	of  map[int64][]civicgrid.Team
	err error
	n   int
}

func (f *fakeTeams) TeamsOf(_ context.Context, userID int64) ([]civicgrid.Team, error) {
	f.n++
	return f.of[userID], f.err
}

// The notices' reach of a member carries their teams' tags, asked of the
// volunteer service once per search; other kinds' reach does not; without
// the service, or for a token, no team is reached; its failure fails the
// search (rather than showing less without saying so).
func TestSearchAsksTheTeamsOfMembers(t *testing.T) {
	ctx := context.Background()
	idx := &fakeIndex{}
	teams := &fakeTeams{of: map[int64][]civicgrid.Team{3: {{ID: 7}, {ID: 9}}}}
	s := New(idx)
	member := civicgrid.Actor{UserID: 3, Via: "session", Grants: []civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: "4201020010010010001"}}}
	if _, err := s.Search(ctx, member, Query{Q: "集合"}); err != nil {
		t.Fatal(err)
	}
	if g := idx.got.Reach["notice"].Groups; g != nil {
		t.Fatalf("without the volunteer service: groups %v", g)
	}
	s.SetTeams(teams)
	if _, err := s.Search(ctx, member, Query{Q: "集合"}); err != nil {
		t.Fatal(err)
	}
	if g := idx.got.Reach["notice"].Groups; !slices.Equal(g, []string{"team:7", "team:9"}) || teams.n != 1 {
		t.Fatalf("a member's notice groups %v (asked %d times)", g, teams.n)
	}
	if g := idx.got.Reach["case"].Groups; g != nil {
		t.Fatalf("cases reach groups %v", g)
	}
	tok := member
	tok.Via = "token"
	if _, err := s.Search(ctx, tok, Query{Q: "集合"}); err != nil {
		t.Fatal(err)
	}
	if g := idx.got.Reach["notice"].Groups; g != nil || teams.n != 1 {
		t.Fatalf("a token's groups %v (asked %d times)", g, teams.n)
	}
	teams.err = errors.New("volunteer store down")
	if _, err := s.Search(ctx, member, Query{Q: "集合"}); err == nil {
		t.Fatal("a failing team lookup was not reported")
	}
}
