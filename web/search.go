package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/search"
)

// Searcher runs the full-text search (search.Service).
type Searcher interface {
	Search(ctx context.Context, actor civicgrid.Actor, q search.Query) (search.Page, error)
}

// searchView is the search page: the form as asked and the results.
type searchView struct {
	Q, Kind, From, To string
	Kinds             []option
	Asked             bool // a query was given
	Results           []searchResult
	Error             string // why the query was refused, in the page's words
	Next              string // the next page's address
	MaxLen            int
}

type searchResult struct {
	search.Result
	KindLabel string
	TitleHTML template.HTML // escaped by the search, words in <mark>
	Snippet   template.HTML // likewise
	Date      string
}

func (ui *UI) registerSearch(mux *http.ServeMux) {
	if ui.cfg.Search == nil {
		return
	}
	mux.HandleFunc("GET /search", ui.handleSearch)
}

// handleSearch serves /search: the form, and with q the results the
// reader may see, newest first, a page at a time.
func (ui *UI) handleSearch(w http.ResponseWriter, r *http.Request) {
	actor, ok := requireLogin(w, r)
	if !ok {
		return
	}
	p := ui.newPage(w, r)
	p.Title = p.catalogue["search.title"]
	v := r.URL.Query()
	sv := &searchView{Q: v.Get("q"), Kind: v.Get("kind"), From: v.Get("from"), To: v.Get("to"), MaxLen: civicgrid.SearchMaxQuery}
	sv.Kinds = []option{{"", p.catalogue["search.kind_all"]}}
	for _, k := range civicgrid.SearchKinds {
		sv.Kinds = append(sv.Kinds, option{k.Name, p.catalogue["search.kind."+k.Name]})
	}
	p.Search = sv
	if _, asked := v["q"]; !asked {
		ui.render(w, http.StatusOK, "search", p)
		return
	}
	sv.Asked = true
	q, err := search.ParseQuery(v)
	var page search.Page
	if err == nil {
		q.Limit = search.DefaultLimit
		page, err = ui.cfg.Search.Search(r.Context(), actor, q)
	}
	var ce *civicgrid.Error
	if errors.As(err, &ce) && ce.Code == civicgrid.EINVALID {
		kind := ""
		if len(ce.Problems) > 0 {
			kind = ce.Problems[0].Kind
		}
		sv.Error = p.catalogue["search.err."+kind]
		if sv.Error == "" {
			sv.Error = p.catalogue["search.err.other"]
		}
		ui.render(w, http.StatusBadRequest, "search", p)
		return
	}
	if err != nil {
		ui.renderError(w, r, p, err)
		return
	}
	for _, res := range page.Results {
		sr := searchResult{Result: res, KindLabel: p.catalogue["search.kind."+res.Kind],
			TitleHTML: template.HTML(res.TitleHTML), Snippet: template.HTML(res.Snippet),
			Date: res.At.In(civicgrid.Beijing).Format(time.DateOnly)}
		sv.Results = append(sv.Results, sr)
	}
	if page.Next != "" {
		nv := url.Values{}
		for k, vs := range v {
			nv[k] = vs
		}
		nv.Set("after", page.Next)
		sv.Next = "/search?" + nv.Encode()
	}
	ui.render(w, http.StatusOK, "search", p)
}
