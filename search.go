package civicgrid

import (
	"context"
	"fmt"
	"html"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Full-text search (全文检索) over the texts of every module: one index of
// search documents, one per item (a case, a request for help, a proposal),
// each with the area it lies in, its owner and whether anyone may see it.
// Modules write their document in the transaction that changes the text;
// the search reads the index only where the policy table lets the caller
// read that kind (Actor.Reach), so the filtering is in the query.

// SearchKind is a kind of item that can be searched: the policy action that
// reads it, and where its page is. A module that adds texts registers its
// kind here and writes SearchDocs from its store; nothing else.
type SearchKind struct {
	Name string // "case", "help", "proposal"
	// Read is the action that reads one item of the kind: the search shows
	// an item only where Actor.Reach(Read) reaches it.
	Read Action
	// Link is the item's page, with %d for its id.
	Link string
}

// SearchKinds lists the kinds in the order the search filters offer them.
var SearchKinds = []SearchKind{
	{Name: "case", Read: ActionReadCase, Link: "/cases/%d"},
	{Name: "help", Read: ActionReadHelp, Link: "/help/%d"},
	{Name: "proposal", Read: ActionReadCogov, Link: "/proposals/%d"},
	{Name: "lecture", Read: ActionReadLecture, Link: "/lectures/%d"},
	{Name: "notice", Read: ActionReadNotice, Link: "/announcements/%d"},
}

// LookupSearchKind returns the kind by name.
func LookupSearchKind(name string) (SearchKind, bool) {
	for _, k := range SearchKinds {
		if k.Name == name {
			return k, true
		}
	}
	return SearchKind{}, false
}

// SearchDoc is one item's searchable text as the index keeps it.
type SearchDoc struct {
	Kind  string
	Ref   int64  // the item's id in its module
	Area  string // the area code the item lies in (scope tests use it)
	Owner int64  // the person the item is theirs (reporter, poster, author), 0 if none
	// Public items are found by anyone, logged in or not (no kind is
	// public yet: notices on public boards will be).
	Public bool
	// Audience, for an item addressed to an audience (a notice), is its
	// AudienceTag: found by those whose role it counts over an area
	// overlapping the item's (Reach.Audience); "" for other items.
	Audience string
	Title    string
	Body     string
	At       time.Time // when the item was made
}

// SearchMaxQuery is the longest query accepted, in characters.
const SearchMaxQuery = 100

// SearchMaxTerms is the most words a query may have.
const SearchMaxTerms = 8

// SearchMaxText is how much of an item's text is indexed, in characters.
const SearchMaxText = 20000

// SearchQuery is a search as the store runs it.
type SearchQuery struct {
	Terms [][]string // each term's tokens (see QueryTokens): all must match
	Kinds []string   // nil: every kind
	// Reach per kind: where the caller may read items of it. A kind
	// missing here is not searched (unless Public).
	Reach  map[string]Reach
	UserID int64 // for Reach.Own
	Within string
	From   time.Time
	To     time.Time
	After  int64 // keyset: documents below this position
	Limit  int
}

// SearchHit is one document found.
type SearchHit struct {
	Pos   int64 // the document's position in the index (the keyset cursor)
	Kind  string
	Ref   int64
	Area  string
	Title string
	Body  string
	At    time.Time
}

// SearchStore keeps the index and answers queries.
type SearchStore interface {
	Search(ctx context.Context, q SearchQuery) ([]SearchHit, error)
}

// searchRune folds a rune for the index: full-width ASCII to ASCII, lower
// case; ok false for what separates words (spaces, punctuation, symbols).
func searchRune(c rune) (rune, bool) {
	if c >= 0xFF01 && c <= 0xFF5E { // full-width forms from Chinese input methods
		c -= 0xFEE0
	}
	if unicode.IsLetter(c) || unicode.IsDigit(c) {
		return unicode.ToLower(c), true
	}
	return 0, false
}

// searchRuns cuts text into runs of letters and digits, folded.
func searchRuns(text string) [][]rune {
	var runs [][]rune
	var run []rune
	for _, c := range text {
		if f, ok := searchRune(c); ok {
			run = append(run, f)
			continue
		}
		if len(run) > 0 {
			runs = append(runs, run)
			run = nil
		}
	}
	if len(run) > 0 {
		runs = append(runs, run)
	}
	return runs
}

// SearchTokens is what the index stores for a text: every pair of
// neighbouring characters within a run of letters and digits (bigrams, in
// order, so that a query's consecutive bigrams match as a phrase), then
// every distinct character once (unigrams, for one-character queries).
// Chinese, Latin letters and digits are treated alike: "水管" finds 水管,
// "pipe" finds pipes.
func SearchTokens(text string) []string {
	if utf8.RuneCountInString(text) > SearchMaxText {
		text = string([]rune(text)[:SearchMaxText])
	}
	runs := searchRuns(text)
	var out []string
	seen := map[rune]bool{}
	var unis []string
	for _, r := range runs {
		for i := 1; i < len(r); i++ {
			out = append(out, string(r[i-1:i+1]))
		}
		for _, c := range r {
			if !seen[c] {
				seen[c] = true
				unis = append(unis, string(c))
			}
		}
	}
	return append(out, unis...)
}

// ParseSearch turns a query into its terms, each a list of tokens that
// must follow one another (a phrase); a one-character term is its one
// character. Everything but letters and digits separates terms, so quotes,
// stars, NEAR and other operators of the engines are plain words or
// nothing: the query language is words, all of which must occur.
func ParseSearch(q string) ([][]string, error) {
	if strings.TrimSpace(q) == "" {
		return nil, searchProblem("required", "q: empty; give a word to search for")
	}
	if n := utf8.RuneCountInString(q); n > SearchMaxQuery {
		return nil, searchProblem("too_long", fmt.Sprintf("q: %d characters; at most %d", n, SearchMaxQuery))
	}
	runs := searchRuns(q)
	if len(runs) == 0 {
		return nil, searchProblem("no_words", "q: no letters or digits to search for")
	}
	if len(runs) > SearchMaxTerms {
		return nil, searchProblem("too_many_words", fmt.Sprintf("q: %d words; at most %d", len(runs), SearchMaxTerms))
	}
	terms := make([][]string, 0, len(runs))
	for _, r := range runs {
		if len(r) == 1 {
			terms = append(terms, []string{string(r)})
			continue
		}
		t := make([]string, 0, len(r)-1)
		for i := 1; i < len(r); i++ {
			t = append(t, string(r[i-1:i+1]))
		}
		terms = append(terms, t)
	}
	return terms, nil
}

// Snippet returns a window of text around the first place a term occurs,
// as HTML: the text escaped, each occurrence of a term inside <mark>. width
// is the window in characters.
func Snippet(text string, q string, width int) string {
	// Fold text rune by rune, keeping each folded rune's source rune, so
	// that matches found on the folded text mark the original.
	src := []rune(text)
	folded := make([]rune, len(src))
	for i, c := range src {
		if f, ok := searchRune(c); ok {
			folded[i] = f
		} else {
			folded[i] = ' '
		}
	}
	marked := make([]bool, len(src))
	first := -1
	for _, run := range searchRuns(q) {
		for i := 0; i+len(run) <= len(folded); i++ {
			if runesEqual(folded[i:i+len(run)], run) {
				if first < 0 || i < first {
					first = i
				}
				for j := i; j < i+len(run); j++ {
					marked[j] = true
				}
			}
		}
	}
	start := 0
	if first > width/3 {
		start = first - width/3
	}
	end := min(len(src), start+width)
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	in := false
	for i := start; i < end; i++ {
		if marked[i] != in {
			if marked[i] {
				b.WriteString("<mark>")
			} else {
				b.WriteString("</mark>")
			}
			in = marked[i]
		}
		b.WriteString(html.EscapeString(string(src[i])))
	}
	if in {
		b.WriteString("</mark>")
	}
	if end < len(src) {
		b.WriteString("…")
	}
	return b.String()
}

func searchProblem(kind, msg string) error {
	return &Error{Code: EINVALID, Message: msg, Problems: []Problem{{Index: -1, Kind: kind, Detail: msg}}}
}

func runesEqual(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
