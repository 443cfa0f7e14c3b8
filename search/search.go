// Package search runs the full-text search (全文检索) over the texts of
// every module: it reads the query, asks the policy where the caller may
// read each kind of item (civicgrid.Actor.Reach, from the one policy
// table) and has the store filter by that in the query, then cuts a
// snippet around the words found. docs/search.md states the rules.
package search

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
)

// MaxLimit is the most results a page holds; DefaultLimit when none is asked.
const (
	MaxLimit     = 50
	DefaultLimit = 20
	// SnippetWidth is a snippet's length in characters.
	SnippetWidth = 80
)

// Service answers searches.
type Service struct {
	store civicgrid.SearchStore
	teams Teams
}

// Teams tells which volunteer teams a person belongs to (the volunteer
// service has it: civicgrid.NoticeTeams), for the items addressed to a
// team (a team's notice: Reach.Member).
type Teams interface {
	TeamsOf(ctx context.Context, userID int64) ([]civicgrid.Team, error)
}

// New returns the service over the store's index.
func New(store civicgrid.SearchStore) *Service { return &Service{store: store} }

// SetTeams lets members find what is addressed to their teams; without
// it, such items are found only through the other rules (staff, auditors).
func (s *Service) SetTeams(t Teams) { s.teams = t }

// groups are the tags of the groups the actor belongs to (their teams),
// asked once per search, only when a kind's rules reach members.
func (s *Service) groups(ctx context.Context, actor civicgrid.Actor) ([]string, error) {
	if s.teams == nil || actor.UserID == 0 {
		return nil, nil
	}
	ts, err := s.teams.TeamsOf(ctx, actor.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, civicgrid.TeamTag(t.ID))
	}
	return out, nil
}

// Query is a search as asked.
type Query struct {
	Q     string
	Kind  string // "" for every kind
	Area  string // only items in this area's subtree ("" for anywhere)
	From  time.Time
	To    time.Time // made before this time (exclusive)
	After string    // the cursor of the page before ("" for the first)
	Limit int
}

// Result is one item found, as the caller may see it.
type Result struct {
	Kind      string    `json:"kind"`
	ID        int64     `json:"id"`
	Title     string    `json:"title,omitempty"`
	TitleHTML string    `json:"title_html,omitempty"` // the title escaped, the words found in <mark>
	Snippet   string    `json:"snippet_html"`         // the text around the words, escaped, the words in <mark>
	AreaCode  string    `json:"area_code"`
	At        time.Time `json:"at"`
	Link      string    `json:"link"` // the item's page
}

// Page is a page of results, newest first; Next continues it ("" at the end).
type Page struct {
	Results []Result `json:"results"`
	Next    string   `json:"next,omitempty"`
}

// Search finds what the actor may read.
func (s *Service) Search(ctx context.Context, actor civicgrid.Actor, q Query) (Page, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionSearch, civicgrid.Object{}); err != nil {
		return Page{}, err
	}
	terms, err := civicgrid.ParseSearch(q.Q)
	if err != nil {
		return Page{}, err
	}
	sq := civicgrid.SearchQuery{Terms: terms, Reach: map[string]civicgrid.Reach{}, UserID: actor.UserID, From: q.From, To: q.To,
		Limit: q.Limit}
	var groups []string
	asked := false
	for _, k := range civicgrid.SearchKinds {
		if q.Kind == "" || q.Kind == k.Name {
			r := actor.Reach(k.Read)
			if r.Member {
				if !asked {
					if groups, err = s.groups(ctx, actor); err != nil {
						return Page{}, err
					}
					asked = true
				}
				r.Groups = groups
			}
			sq.Reach[k.Name] = r
			sq.Kinds = append(sq.Kinds, k.Name)
		}
	}
	if len(sq.Kinds) == 0 {
		return Page{}, invalid("unknown", fmt.Sprintf("kind: %q is not a kind of item; one of %s", q.Kind, kindNames()))
	}
	if q.Area != "" {
		if utf8.RuneCountInString(q.Area) > 32 || !digits(q.Area) {
			return Page{}, invalid("bad_code", "area: an area code is digits")
		}
		sq.Within = q.Area
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return Page{}, invalid("bad_range", "from: must be before to")
	}
	if q.After != "" {
		n, err := strconv.ParseInt(q.After, 10, 64)
		if err != nil || n <= 0 {
			return Page{}, invalid("bad_cursor", "after: the next value of the page before")
		}
		sq.After = n
	}
	switch {
	case sq.Limit == 0:
		sq.Limit = DefaultLimit
	case sq.Limit < 0 || sq.Limit > MaxLimit:
		return Page{}, invalid("out_of_range", fmt.Sprintf("limit: 1 to %d", MaxLimit))
	}
	hits, err := s.store.Search(ctx, sq)
	if err != nil {
		return Page{}, err
	}
	page := Page{Results: make([]Result, 0, len(hits))}
	for _, h := range hits {
		k, _ := civicgrid.LookupSearchKind(h.Kind)
		r := Result{Kind: h.Kind, ID: h.Ref, Title: h.Title, AreaCode: h.Area, At: h.At, Link: fmt.Sprintf(k.Link, h.Ref),
			Snippet: civicgrid.Snippet(h.Body, q.Q, SnippetWidth)}
		if h.Title != "" {
			r.TitleHTML = civicgrid.Snippet(h.Title, q.Q, civicgrid.SearchMaxText)
		}
		page.Results = append(page.Results, r)
	}
	if len(hits) == sq.Limit {
		page.Next = strconv.FormatInt(hits[len(hits)-1].Pos, 10)
	}
	return page, nil
}

// ParseQuery reads a search from a query string (the API's and the
// search page's): q, kind, area, from and to (dates, Beijing time, to
// inclusive), limit and after.
func ParseQuery(v url.Values) (Query, error) {
	q := Query{Q: v.Get("q"), Kind: v.Get("kind"), Area: v.Get("area"), After: v.Get("after")}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(f.name); s != "" {
			t, err := time.ParseInLocation(time.DateOnly, s, civicgrid.Beijing)
			if err != nil {
				return q, invalid("bad_date", fmt.Sprintf("%s: want a date such as 2026-11-01", f.name))
			}
			*f.dst = t
		}
	}
	if !q.To.IsZero() {
		q.To = q.To.AddDate(0, 0, 1) // the whole day
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n == 0 {
			return q, invalid("out_of_range", fmt.Sprintf("limit: 1 to %d", MaxLimit))
		}
		q.Limit = n
	}
	return q, nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func kindNames() string {
	out := ""
	for i, k := range civicgrid.SearchKinds {
		if i > 0 {
			out += ", "
		}
		out += k.Name
	}
	return out
}

func invalid(kind, msg string) error {
	return &civicgrid.Error{Code: civicgrid.EINVALID, Message: msg, Problems: []civicgrid.Problem{{Index: -1, Kind: kind, Detail: msg}}}
}
