package warning

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/civicgrid/civicgrid"
)

// The daily run's state (docs/warnings.md, "The daily run"): what a run
// sums over the year before the guard — each series' baseline count and
// weekday counts, each category's weekday totals — kept from one day to
// the next, so that judging a day reads only the days entering and leaving
// those sums and the window's days, not the year.
//
// The state of a scope as of day s holds the sums over the baseline days
// s−G−B+1 … s−G and the pattern days s−G−P+1 … s−G. To judge day t > s the
// run adds the days s−G+1 … t−G, takes away the days leaving the baseline
// (s−G−B+1 … t−G−B) and the pattern (s−G−P+1 … t−G−P), and reads the
// window's days t−W+1 … t afresh. The sums are then exactly those a full
// run over the history would make — as long as no day already summed has
// changed since. To know that, the state keeps each summed day's count of
// every category at the scope's own level (the rollups keep a row per
// area, day and category above the grids), and the run compares them with
// the rollups' current ones (a year of the scope's rows: 20 categories ×
// 371 days, read through the key): a late report, a reclassified old case
// or a restored store changes one, and the state is then rebuilt from the
// whole history, as the run did before there was a state.

// StateStore is what the incremental daily run needs of the store besides
// Store; a store without it is judged in full every day.
type StateStore interface {
	// ForEachGridDayOn calls fn with the grids' rows in the subtree of
	// scope on one day (all categories, those with reports).
	ForEachGridDayOn(ctx context.Context, scope string, day int, fn func(civicgrid.GridDay) error) error
	// ForEachScopeDay calls fn with the rows of the area scope itself for
	// the days from..to (its per-category counts: the sum over its grids).
	ForEachScopeDay(ctx context.Context, scope string, fromDay, toDay int, fn func(civicgrid.GridDay) error) error
	// WarningState is the state kept for scope (nil if none).
	WarningState(ctx context.Context, scope string) ([]byte, error)
	// SaveWarningState keeps the state of scope as of day, unless a state
	// of a later day is kept already (another instance ran further).
	SaveWarningState(ctx context.Context, scope string, day int, data []byte) error
}

// MaxCatchUp is the most days a kept state is moved forward; a state
// older than that is rebuilt from the history (catching up n days reads
// about 3n days of rows, the history 371).
const MaxCatchUp = 60

// stateKey names the parameters a state's sums depend on: a state kept
// under other parameters is rebuilt.
func (p Params) stateKey() string {
	return fmt.Sprintf("B%d/G%d/P%d", p.BaselineDays, p.GuardDays, p.PatternDays)
}

// summed is how many days before the guard the sums reach back.
func (p Params) summed() int { return max(p.BaselineDays, p.PatternDays) }

type fpKey struct {
	day int
	cat string
}

// state is a decoded state: day, the sums (in a Run whose windows are
// empty) and the scope's counts of the summed days.
type state struct {
	day int
	key string
	run *Run
	fp  map[fpKey]int64
}

// AddSums adds (sign 1) or takes away (sign −1) a grid-day's reports to
// or from the baseline's count (base) and the weekday counts (wk), as
// the day entering or leaving them.
func (r *Run) addSums(g civicgrid.GridDay, base, wk int32) {
	if g.Received == 0 {
		return
	}
	e := epochDay(g.Day)
	dow := (e + 3) % 7
	gi := r.grid(g.Grid)
	c := r.cat(g.Category)
	n := int32(g.Received)
	c.base[gi] += base * n
	c.wk[gi*7+dow] += wk * n
	c.tot[dow] += int64(wk * n)
}

func (r *Run) cat(code string) *catData {
	c := r.cats[code]
	if c == nil {
		c = &catData{}
		c.grow(len(r.grids), r.wmax)
		r.cats[code] = c
	}
	return c
}

const stateMagic = "CGWS1"

// encode writes the sums of r (not its windows) and the scope's counts.
func (st *state) encode() []byte {
	r := st.run
	b := []byte(stateMagic)
	b = binary.AppendUvarint(b, uint64(st.day))
	b = appendString(b, st.key)
	b = binary.AppendUvarint(b, uint64(len(r.grids)))
	for _, g := range r.grids {
		b = appendString(b, g)
	}
	cats := make([]string, 0, len(r.cats))
	for c := range r.cats {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	b = binary.AppendUvarint(b, uint64(len(cats)))
	for _, code := range cats {
		c := r.cats[code]
		b = appendString(b, code)
		for d := range 7 {
			b = binary.AppendVarint(b, c.tot[d])
		}
		// Only the series with reports: (grid index − the last one's,
		// baseline, 7 weekday counts); a gap of 0 ends the list.
		last := -1
		for gi := range r.grids {
			if gi >= len(c.base) {
				break
			}
			zero := c.base[gi] == 0
			for d := range 7 {
				zero = zero && c.wk[gi*7+d] == 0
			}
			if zero {
				continue
			}
			b = binary.AppendUvarint(b, uint64(gi-last))
			last = gi
			b = binary.AppendVarint(b, int64(c.base[gi]))
			for d := range 7 {
				b = binary.AppendVarint(b, int64(c.wk[gi*7+d]))
			}
		}
		b = binary.AppendUvarint(b, 0)
	}
	fps := make([]fpKey, 0, len(st.fp))
	for k := range st.fp {
		fps = append(fps, k)
	}
	slices.SortFunc(fps, func(x, y fpKey) int {
		if x.day != y.day {
			return x.day - y.day
		}
		if x.cat < y.cat {
			return -1
		}
		if x.cat > y.cat {
			return 1
		}
		return 0
	})
	b = binary.AppendUvarint(b, uint64(len(fps)))
	for _, k := range fps {
		b = binary.AppendUvarint(b, uint64(k.day))
		b = appendString(b, k.cat)
		b = binary.AppendVarint(b, st.fp[k])
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errBadState = errors.New("warning state unreadable")

type reader struct {
	b   []byte
	err error
}

func (rd *reader) uvarint() uint64 {
	v, n := binary.Uvarint(rd.b)
	if n <= 0 {
		rd.err = errBadState
		rd.b = nil
		return 0
	}
	rd.b = rd.b[n:]
	return v
}

func (rd *reader) varint() int64 {
	v, n := binary.Varint(rd.b)
	if n <= 0 {
		rd.err = errBadState
		rd.b = nil
		return 0
	}
	rd.b = rd.b[n:]
	return v
}

func (rd *reader) str() string {
	n := rd.uvarint()
	if uint64(len(rd.b)) < n {
		rd.err = errBadState
		rd.b = nil
		return ""
	}
	s := string(rd.b[:n])
	rd.b = rd.b[n:]
	return s
}

// decodeState reads a state into a new run judging day, over the grids
// given first (so that the grids' order is the full run's).
func decodeState(data []byte, day int, grids []string, p Params) (*state, error) {
	if len(data) < len(stateMagic) || string(data[:len(stateMagic)]) != stateMagic {
		return nil, errBadState
	}
	rd := &reader{b: data[len(stateMagic):]}
	st := &state{day: int(rd.uvarint()), key: rd.str(), fp: map[fpKey]int64{}}
	st.run = NewRun(day, grids, p)
	r := st.run
	ng := int(rd.uvarint())
	if rd.err != nil || ng > len(data) {
		return nil, errBadState
	}
	idx := make([]int, ng)
	for i := range ng {
		idx[i] = r.grid(rd.str())
	}
	nc := int(rd.uvarint())
	for range nc {
		if rd.err != nil {
			return nil, rd.err
		}
		c := r.cat(rd.str())
		for d := range 7 {
			c.tot[d] = rd.varint()
		}
		gi := -1
		for rd.err == nil {
			gap := int(rd.uvarint())
			if gap == 0 {
				break
			}
			gi += gap
			if gi >= ng {
				return nil, errBadState
			}
			g := idx[gi]
			c.grow(len(r.grids), r.wmax)
			c.base[g] = int32(rd.varint())
			for d := range 7 {
				c.wk[g*7+d] = int32(rd.varint())
			}
		}
	}
	nf := int(rd.uvarint())
	for range nf {
		if rd.err != nil {
			break
		}
		d := int(rd.uvarint())
		k := fpKey{d, rd.str()}
		st.fp[k] = rd.varint()
	}
	if rd.err != nil {
		return nil, rd.err
	}
	return st, nil
}

// dayNumber is the yyyymmdd of a day counted since 1970.
func dayNumber(epoch int) int {
	y, m, d := epochTime(epoch).Date()
	return y*10000 + int(m)*100 + d
}
