package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/civicgrid/civicgrid"
)

// Open311Keys manages the api_keys of Open311 client applications through
// the API (server.LocalAPI has it).
type Open311Keys interface {
	Open311Keys(r *http.Request) ([]civicgrid.Open311Key, error)
	CreateOpen311Key(r *http.Request, name string) (civicgrid.Open311Key, string, error)
	RevokeOpen311Key(r *http.Request, id int64) error
}

// mayManageOpen311Keys is the policy's answer for the tab and the page
// (the routes ask the same).
func mayManageOpen311Keys(a civicgrid.Actor) error {
	return civicgrid.Authorize(a, civicgrid.ActionManageOpen311Keys, civicgrid.Object{})
}

func (ui *UI) handleAdminOpen311Keys(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "open311_keys", "admin.open311_title")
	if !ok {
		return
	}
	ui.open311KeysPage(w, r, p, actor, http.StatusOK)
}

func (ui *UI) open311KeysPage(w http.ResponseWriter, r *http.Request, p *page, actor civicgrid.Actor, status int) {
	if keys, ok := ui.open311Keys(w, r, p, actor); ok {
		p.Admin.Open311Keys = keys
		ui.render(w, status, "admin", p)
	}
}

// open311Keys reads the keys for an actor the policy lets manage them; a
// refusal gets the admin error page.
func (ui *UI) open311Keys(w http.ResponseWriter, r *http.Request, p *page, actor civicgrid.Actor) ([]civicgrid.Open311Key, bool) {
	err := mayManageOpen311Keys(actor)
	var keys []civicgrid.Open311Key
	if err == nil {
		keys, err = ui.cfg.Open311Keys.Open311Keys(r)
	}
	if err != nil {
		ui.adminFailed(w, r, p, err)
		return nil, false
	}
	return keys, true
}

// handleAdminCreateOpen311Key makes a key through the API and shows it once.
func (ui *UI) handleAdminCreateOpen311Key(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "open311_keys", "admin.open311_title")
	if !ok {
		return
	}
	f, ok := parseAdminForm(w, r)
	if !ok {
		return
	}
	name := strings.TrimSpace(f.Get("name"))
	k, secret, err := ui.cfg.Open311Keys.CreateOpen311Key(r, name)
	if err != nil {
		p.Admin.Form = adminForm{Name: name}
		p.Admin.FormError, p.Admin.FormDetail = ui.errorText(p, err)
		ui.open311KeysPage(w, r, p, actor, statusOf(err))
		return
	}
	ui.showSecret(w, p, "open311", k.Name, secret, "/admin/open311-keys")
}

// handleAdminRevokeOpen311Key asks first (a revoked client stops filing at
// once); the confirmed form revokes through the API.
func (ui *UI) handleAdminRevokeOpen311Key(w http.ResponseWriter, r *http.Request) {
	p, actor, ok := ui.adminPage(w, r, "open311_revoke", "admin.open311_revoke_title")
	if !ok {
		return
	}
	id, ok := pathInt(r, "id")
	if !ok {
		http.NotFound(w, r)
		return
	}
	f, ok := parseAdminForm(w, r)
	if !ok {
		return
	}
	if f.Get("confirm") == "1" {
		redirectOutcome(w, r, "/admin/open311-keys", "admin.open311_revoked", ui.cfg.Open311Keys.RevokeOpen311Key(r, id))
		return
	}
	keys, ok := ui.open311Keys(w, r, p, actor)
	if !ok {
		return
	}
	i := slices.IndexFunc(keys, func(k civicgrid.Open311Key) bool { return k.ID == id && k.RevokedAt.IsZero() })
	if i < 0 {
		ui.adminFailed(w, r, p, civicgrid.Errorf(civicgrid.ENOTFOUND, "no live Open311 key %d", id))
		return
	}
	p.Admin.Open311Keys = keys[i : i+1]
	ui.render(w, http.StatusOK, "admin", p)
}
