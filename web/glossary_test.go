package web

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// Every status and every step but a comment is explained by an entry of
// the glossary, and every entry has words in every language.
func TestGlossaryCoversTheCaseLoop(t *testing.T) {
	for _, s := range civicgrid.CaseStatuses {
		if id := glossaryTerm(s); !slices.Contains(glossaryTerms, id) {
			t.Errorf("status %s: no glossary entry (%q)", s, id)
		}
	}
	for _, tr := range civicgrid.CaseTransitions {
		if tr.Action == civicgrid.CaseComment {
			continue
		}
		if id := glossaryTerm(tr.Action); !slices.Contains(glossaryTerms, id) {
			t.Errorf("action %s: no glossary entry (%q)", tr.Action, id)
		}
	}
	cats, err := loadCatalogues(files)
	if err != nil {
		t.Fatal(err)
	}
	for lang, c := range cats {
		for _, id := range glossaryTerms {
			if c["glossary."+id+".name"] == "" || c["glossary."+id+".text"] == "" {
				t.Errorf("%s: glossary entry %s has no words", lang, id)
			}
		}
	}
}

func TestGlossaryPage(t *testing.T) {
	mux := newTestMux(t, newMemStore())
	for lang, want := range map[string][]string{
		"zh-CN": {"术语解释", "<dfn>立案</dfn>", "<dfn>挂账</dfn>", "<dfn>核查</dfn>", "<dfn>督办</dfn>"},
		"en":    {"What the words mean", "<dfn>Register (立案)</dfn>", "<dfn>On hold (挂账)</dfn>"},
	} {
		res := get(t, mux, "/glossary?lang="+lang)
		b := body(t, res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", lang, res.StatusCode)
		}
		for _, w := range append(want, `id="register"`, `id="suspension"`, `id="verify"`, `id="dispatch"`) {
			if !strings.Contains(b, w) {
				t.Errorf("%s: glossary page lacks %q", lang, w)
			}
		}
		// The footer of every page links to it.
		if !strings.Contains(body(t, get(t, mux, "/?lang="+lang)), `href="/glossary"`) {
			t.Errorf("%s: the map page does not link to the glossary", lang)
		}
	}
}
