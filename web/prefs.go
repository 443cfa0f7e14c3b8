package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/civicgrid/civicgrid"
)

const elderCookie = "elder"

// pickElder says whether the page is in elderly mode (长者模式): ?elder=1 or
// ?elder=0 switches it and a cookie remembers the choice for a year, like
// the language.
func pickElder(w http.ResponseWriter, r *http.Request) bool {
	if v := r.URL.Query().Get("elder"); v == "1" || v == "0" {
		http.SetCookie(w, &http.Cookie{
			Name: elderCookie, Value: v, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
		})
		return v == "1"
	}
	c, err := r.Cookie(elderCookie)
	return err == nil && c.Value == "1"
}

// nav is the page menu: the case pages the visitor may use.
func (ui *UI) nav(r *http.Request, p *page) []navLink {
	links := []navLink{{URL: "/", Label: p.catalogue["nav.map"]}}
	if ui.cfg.Cases != nil {
		a := civicgrid.ActorFromContext(r.Context())
		links = append(links, navLink{URL: "/report", Label: p.catalogue["nav.report"]})
		if !a.Anonymous() {
			if a.Holds(civicgrid.RoleGridWorker) {
				links = append(links, navLink{URL: "/patrol", Label: p.catalogue["nav.patrol"]})
			}
			links = append(links, navLink{URL: "/my", Label: p.catalogue["nav.my"]})
			if len(a.Scopes(civicgrid.ActionReadCase)) > 0 || a.Holds(civicgrid.RoleDepartmentHandler) {
				links = append(links, navLink{URL: "/queue", Label: p.catalogue["nav.queue"]})
			}
			// The console also serves admins who oversee without triaging
			// (a city admin reads every case of the city).
			if len(a.Scopes(civicgrid.ActionTriageCase)) > 0 || (len(a.Scopes(civicgrid.ActionReadCase)) > 0 && administersAccounts(a)) {
				links = append(links, navLink{URL: "/console", Label: p.catalogue["nav.console"]})
			}
			if len(a.Scopes(civicgrid.ActionReadIndicators)) > 0 {
				links = append(links, navLink{URL: "/dashboard", Label: p.catalogue["nav.dashboard"]})
			}
		}
	}
	if ui.cfg.Admin != nil {
		a := civicgrid.ActorFromContext(r.Context())
		if offersAdmin(a) {
			links = append(links, navLink{URL: "/admin", Label: p.catalogue["nav.admin"]})
		}
		if len(a.Scopes(civicgrid.ActionReadAudit)) > 0 {
			links = append(links, navLink{URL: "/admin/audit", Label: p.catalogue["nav.audit"]})
		}
	}
	if a := civicgrid.ActorFromContext(r.Context()); ui.cfg.Cogov != nil && !a.Anonymous() {
		links = append(links, navLink{URL: "/proposals", Label: p.catalogue["nav.cogov"]})
	}
	if a := civicgrid.ActorFromContext(r.Context()); ui.cfg.Volunteer != nil && !a.Anonymous() {
		links = append(links, navLink{URL: "/help", Label: p.catalogue["nav.help"]})
		if a.Holds(civicgrid.RoleVolunteer) || len(a.Scopes(civicgrid.ActionVerifyHelp)) > 0 {
			links = append(links, navLink{URL: "/volunteer", Label: p.catalogue["nav.volunteer"]})
		}
	}
	if a := civicgrid.ActorFromContext(r.Context()); ui.cfg.Lectures != nil && !a.Anonymous() {
		links = append(links, navLink{URL: "/lectures", Label: p.catalogue["nav.lectures"]})
	}
	if a := civicgrid.ActorFromContext(r.Context()); ui.cfg.Warning != nil && ui.cfg.Cases != nil && len(a.Scopes(civicgrid.ActionReadWarnings)) > 0 {
		links = append(links, navLink{URL: "/warnings", Label: p.catalogue["nav.warnings"]})
	}
	if a := civicgrid.ActorFromContext(r.Context()); ui.cfg.Care != nil && (len(a.Scopes(civicgrid.ActionRegisterCare)) > 0 ||
		len(a.Scopes(civicgrid.ActionCareVisitor)) > 0) {
		links = append(links, navLink{URL: "/care", Label: p.catalogue["nav.care"]})
	}
	if a := civicgrid.ActorFromContext(r.Context()); ui.cfg.Notices != nil && !a.Anonymous() {
		label := p.catalogue["nav.notices"]
		if a.Via == "session" {
			if n := ui.noticeUnread(r, a); n > 0 {
				label, _ = p.T("nav.notices_unread", "n", n)
				p.Unread = label // the phone's menu button shows it too
			}
		}
		links = append(links, navLink{URL: "/announcements", Label: label})
	}
	if a := civicgrid.ActorFromContext(r.Context()); ui.cfg.Inbox != nil && a.Via == "session" && a.UserID != 0 {
		label := p.catalogue["nav.inbox"]
		if n := ui.unreadCount(r, a); n > 0 {
			label, _ = p.T("nav.inbox_unread", "n", n)
			p.Unread = label // the phone's menu button shows it too
		}
		links = append(links, navLink{URL: "/inbox", Label: label})
	}
	for i := range links {
		u := links[i].URL
		links[i].Current = r.URL.Path == u || (u != "/" && strings.HasPrefix(r.URL.Path, u+"/"))
	}
	// The audit log is its own entry: only one entry is the current one.
	if i := slices.IndexFunc(links, func(l navLink) bool { return l.URL == "/admin/audit" && l.Current }); i >= 0 {
		for j := range links {
			links[j].Current = j == i
		}
	}
	return links
}
