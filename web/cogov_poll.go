package web

import (
	"net/url"
	"slices"
	"strconv"

	"github.com/civicgrid/civicgrid"
)

// Score and ranked polls on the ballot page, the paper entry page and the
// result. The ranked ballot is built by tapping the options in order: each
// tap posts the order so far (in the form, nowhere else) and the page comes
// back with the next place to fill, so it works without JavaScript and with
// nothing to drag; "cast" posts the order as the ballot.

// pollView is a poll's ballot in the making and its scale.
type pollView struct {
	// Draft is the ranked ballot's order so far; Rest the options not yet
	// placed (Next is the place the next tap fills).
	Draft  []string
	Rest   []string
	Next   int
	Scale  []int // the scores a score ballot offers
	Places []int // 1..n, the places of a ranked paper ballot
}

// newPollView fills a poll's ballot from the order posted so far.
func newPollView(v civicgrid.Vote, draft []string) *pollView {
	pv := &pollView{}
	for s := civicgrid.MinScore; s <= civicgrid.MaxScore; s++ {
		pv.Scale = append(pv.Scale, s)
	}
	for _, c := range draft {
		if slices.Contains(v.Options, c) && !slices.Contains(pv.Draft, c) {
			pv.Draft = append(pv.Draft, c)
		}
	}
	for i, o := range v.Options {
		pv.Places = append(pv.Places, i+1)
		if !slices.Contains(pv.Draft, o) {
			pv.Rest = append(pv.Rest, o)
		}
	}
	pv.Next = len(pv.Draft) + 1
	return pv
}

// rankStep applies a tap of the ranked ballot to the order posted with it:
// pick appends an option, undo drops the last, restart empties it. It
// reports false when the form is a cast, not a step.
func rankStep(f url.Values) ([]string, bool) {
	draft := slices.Clone(f["choice"])
	switch {
	case f.Get("pick") != "":
		return append(draft, f.Get("pick")), true
	case f.Get("undo") != "":
		if len(draft) > 0 {
			draft = draft[:len(draft)-1]
		}
		return draft, true
	case f.Get("restart") != "":
		return nil, true
	}
	return draft, false
}

// formChoices reads a ballot's choices from a form: the ticked choices of
// a yes/no or approval ballot or of a tapped ranking; score_I per option
// of a score ballot (poll=score, n options); rank_I per option of a paper
// ranked ballot (the place written on the paper, blank for none).
func formChoices(f url.Values) []string {
	n, _ := strconv.Atoi(f.Get("n"))
	n = min(max(n, 0), civicgrid.MaxVoteOptions)
	switch {
	case f.Get("poll") == string(civicgrid.MethodScore):
		out := make([]string, n)
		for i := range out {
			out[i] = f.Get("score_" + strconv.Itoa(i))
		}
		return out
	case f.Get("poll") == string(civicgrid.MethodRanked) && f.Has("rank_0"):
		// Places 1..n, each used once: the options ordered by place. A place
		// given twice or out of range is kept as an unknown choice, so that
		// the ballot's check refuses it with a clear error.
		places := make([]string, n)
		var out []string
		for i := range n {
			p := f.Get("rank_" + strconv.Itoa(i))
			if p == "" {
				continue
			}
			k, err := strconv.Atoi(p)
			if err != nil || k < 1 || k > n || places[k-1] != "" {
				return []string{"place " + p + " twice or out of 1–" + strconv.Itoa(n)}
			}
			places[k-1] = f.Get("option_" + strconv.Itoa(i))
		}
		for _, o := range places {
			if o != "" {
				out = append(out, o)
			} else if len(out) < countNonEmpty(places) {
				return []string{"the places skip a number"}
			}
		}
		return out
	}
	return f["choice"]
}

func countNonEmpty(s []string) int {
	n := 0
	for _, x := range s {
		if x != "" {
			n++
		}
	}
	return n
}
