package web

import (
	"fmt"
	"net/http"
)

// glossaryTerms are the words of the case loop (立案, 派遣, 挂账, 核查, …)
// in the order a case meets them. Each has a name and a plain explanation
// for residents in every catalogue ("glossary.<term>.name" and ".text");
// the case and console pages link their statuses and steps to the entry.
var glossaryTerms = []string{
	"report", "register", "reject", "merge", "reclassify", "dispatch", "accept", "handle", "verify", "rework",
	"close", "rate", "reopen", "extension", "suspension", "cancel", "escalation", "supervise",
	"light", "grid", "grid_worker", "me_too",
}

// glossaryOf names the glossary entry explaining a case status or action
// ("" when none does, as for a comment).
var glossaryOf = map[string]string{
	// statuses
	"reported": "report", "registered": "register", "dispatched": "dispatch", "in_progress": "handle",
	"handled": "handle", "verified": "verify", "closed": "close", "rated": "rate", "suspended": "suspension",
	"rejected": "reject", "merged": "merge", "cancelled": "cancel",
	// actions
	"report": "report", "register": "register", "reject": "reject", "merge": "merge", "merged_in": "merge", "reclassify": "reclassify",
	"dispatch": "dispatch", "accept": "accept", "return": "dispatch", "handle": "handle", "self_handle": "handle",
	"verify": "verify", "rework": "rework", "close": "close", "rate": "rate", "reopen": "reopen",
	"request_extension": "extension", "approve_extension": "extension", "deny_extension": "extension",
	"request_suspension": "suspension", "approve_suspension": "suspension", "deny_suspension": "suspension",
	"resume": "suspension", "request_cancel": "cancel", "approve_cancel": "cancel", "deny_cancel": "cancel",
	"escalate": "escalation", "me_too": "me_too",
}

// glossaryTerm is the template function "term": the glossary entry of a
// status or action (a string type of the root package).
func glossaryTerm(v any) string { return glossaryOf[fmt.Sprint(v)] }

type glossaryEntry struct{ ID, Name, Text string }

// handleGlossary serves /glossary: every term with its explanation, each
// entry an anchor the case pages link to.
func (ui *UI) handleGlossary(w http.ResponseWriter, r *http.Request) {
	p := ui.newPage(w, r)
	p.Title = p.catalogue["glossary.title"]
	for _, id := range glossaryTerms {
		p.Glossary = append(p.Glossary, glossaryEntry{ID: id, Name: p.catalogue["glossary."+id+".name"], Text: p.catalogue["glossary."+id+".text"]})
	}
	ui.render(w, http.StatusOK, "glossary", p)
}
