package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/civicgrid/civicgrid"
)

// LocalAPI lets the web UI's admin pages call the JSON API in process. A
// page's form becomes the body of the API route and runs through the very
// handler an API client reaches, so the page decides nothing itself: the
// route's checks, civicgrid.Authorize and the security log all happen as
// for any other client. The page's own request (already identified and
// CSRF-checked by the server's middleware) supplies the actor, the
// deadline and the address that the log records.
//
// Make it before the UI and set Server once the server exists (the server
// registers the UI's routes while it is made).
type LocalAPI struct {
	Server *Server
}

// recorder keeps a handler's answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

// call runs the API route method path for the page request from, with body
// as JSON, and decodes the answer into out (when not nil). An error answer
// comes back as the *civicgrid.Error the route wrote.
func (l *LocalAPI) call(from *http.Request, method, path string, body, out any) error {
	rec, err := l.run(from, method, path, body)
	if err != nil {
		return err
	}
	return rec.decode(method, path, out)
}

// run runs the route and keeps its answer.
func (l *LocalAPI) run(from *http.Request, method, path string, body any) (*recorder, error) {
	var rd bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd.Reset(b)
	}
	req, err := http.NewRequestWithContext(from.Context(), method, path, &rd)
	if err != nil {
		return nil, err
	}
	req.RemoteAddr, req.TLS, req.Host = from.RemoteAddr, from.TLS, from.Host
	if xff := from.Header.Get("X-Forwarded-For"); xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	if ua := from.UserAgent(); ua != "" {
		req.Header.Set("User-Agent", ua)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}}
	l.Server.mux.ServeHTTP(rec, req)
	return rec, nil
}

// decode turns an error answer into the *civicgrid.Error the route wrote
// and a good one into out.
func (rec *recorder) decode(method, path string, out any) error {
	if rec.status >= 400 {
		var eb errorBody
		if err := json.Unmarshal(rec.body.Bytes(), &eb); err != nil || eb.Error.Code == "" {
			return civicgrid.Errorf(civicgrid.EINTERNAL, "%s %s answered %d", method, path, rec.status)
		}
		return &civicgrid.Error{Code: eb.Error.Code, Message: eb.Error.Message, Problems: eb.Error.Problems}
	}
	if out != nil && rec.body.Len() > 0 {
		return json.Unmarshal(rec.body.Bytes(), out)
	}
	return nil
}

func idPath(prefix string, id int64, rest string) string {
	return prefix + strconv.FormatInt(id, 10) + rest
}

// ListUsers: GET /api/v1/users (masked). q may hold within, role, after
// and limit.
func (l *LocalAPI) ListUsers(r *http.Request, q url.Values) ([]civicgrid.User, error) {
	var out struct {
		Users []civicgrid.User `json:"users"`
	}
	err := l.call(r, "GET", "/api/v1/users?"+q.Encode(), nil, &out)
	return out.Users, err
}

// User: GET /api/v1/users/{id} (masked unless oneself).
func (l *LocalAPI) User(r *http.Request, id int64) (civicgrid.User, error) {
	var u civicgrid.User
	err := l.call(r, "GET", idPath("/api/v1/users/", id, ""), nil, &u)
	return u, err
}

// CreateUser: POST /api/v1/users. Without a password the answer carries a
// temporary one, returned here to be shown once.
func (l *LocalAPI) CreateUser(r *http.Request, name, phone string, grants []civicgrid.RoleGrant) (civicgrid.User, string, error) {
	type grant struct {
		Role       string   `json:"role"`
		AreaCode   string   `json:"area_code"`
		Detail     string   `json:"detail,omitempty"`
		Categories []string `json:"categories,omitempty"`
	}
	req := struct {
		Name   string  `json:"name"`
		Phone  string  `json:"phone"`
		Grants []grant `json:"grants"`
	}{Name: name, Phone: phone}
	for _, g := range grants {
		req.Grants = append(req.Grants, grant{g.Role, g.AreaCode, g.Detail, g.Categories})
	}
	var out struct {
		User      civicgrid.User `json:"user"`
		Temporary string         `json:"temporary_password"`
	}
	err := l.call(r, "POST", "/api/v1/users", req, &out)
	return out.User, out.Temporary, err
}

// ResetPassword: POST /api/v1/users/{id}/password-reset; the temporary
// password is returned to be shown once.
func (l *LocalAPI) ResetPassword(r *http.Request, id int64) (string, error) {
	var out struct {
		Temporary string `json:"temporary_password"`
	}
	err := l.call(r, "POST", idPath("/api/v1/users/", id, "/password-reset"), struct{}{}, &out)
	return out.Temporary, err
}

// Unlock: POST /api/v1/users/{id}/unlock.
func (l *LocalAPI) Unlock(r *http.Request, id int64) error {
	return l.call(r, "POST", idPath("/api/v1/users/", id, "/unlock"), struct{}{}, nil)
}

// Grant: POST /api/v1/users/{id}/grants.
func (l *LocalAPI) Grant(r *http.Request, userID int64, g civicgrid.RoleGrant) (civicgrid.RoleGrant, error) {
	req := grantRequest{Role: g.Role, AreaCode: g.AreaCode, Detail: g.Detail, Categories: g.Categories}
	var out civicgrid.RoleGrant
	err := l.call(r, "POST", idPath("/api/v1/users/", userID, "/grants"), req, &out)
	return out, err
}

// Revoke: DELETE /api/v1/users/{id}/grants/{grant}.
func (l *LocalAPI) Revoke(r *http.Request, userID, grantID int64) error {
	return l.call(r, "DELETE", idPath("/api/v1/users/", userID, "/grants/"+strconv.FormatInt(grantID, 10)), nil, nil)
}

// Tokens: GET /api/v1/tokens.
func (l *LocalAPI) Tokens(r *http.Request) ([]civicgrid.APIToken, error) {
	var out struct {
		Tokens []civicgrid.APIToken `json:"tokens"`
	}
	err := l.call(r, "GET", "/api/v1/tokens", nil, &out)
	return out.Tokens, err
}

// CreateToken: POST /api/v1/tokens; the secret is returned to be shown once.
func (l *LocalAPI) CreateToken(r *http.Request, name string, g civicgrid.RoleGrant, ttlDays int) (civicgrid.APIToken, string, error) {
	req := createTokenRequest{Name: name, Role: g.Role, AreaCode: g.AreaCode, Detail: g.Detail, Categories: g.Categories, TTLDays: ttlDays}
	var out struct {
		Token  civicgrid.APIToken `json:"token"`
		Secret string             `json:"secret"`
	}
	err := l.call(r, "POST", "/api/v1/tokens", req, &out)
	return out.Token, out.Secret, err
}

// RevokeToken: DELETE /api/v1/tokens/{id}.
func (l *LocalAPI) RevokeToken(r *http.Request, id int64) error {
	return l.call(r, "DELETE", idPath("/api/v1/tokens/", id, ""), nil, nil)
}

// SecurityEvents: GET /api/v1/audit/security. q may hold within, kind,
// since, until, before and limit.
func (l *LocalAPI) SecurityEvents(r *http.Request, q url.Values) ([]civicgrid.SecurityEvent, error) {
	var out struct {
		Events []civicgrid.SecurityEvent `json:"events"`
	}
	err := l.call(r, "GET", "/api/v1/audit/security?"+q.Encode(), nil, &out)
	return out.Events, err
}

// BuildingRoles: GET /api/v1/building-roles.
func (l *LocalAPI) BuildingRoles(r *http.Request) ([]civicgrid.BuildingRoleKind, error) {
	var out struct {
		Kinds []civicgrid.BuildingRoleKind `json:"building_roles"`
	}
	err := l.call(r, "GET", "/api/v1/building-roles", nil, &out)
	return out.Kinds, err
}

// Webhooks: GET /api/v1/webhooks (those in the caller's scope).
func (l *LocalAPI) Webhooks(r *http.Request) ([]civicgrid.Webhook, error) {
	var out struct {
		Hooks []civicgrid.Webhook `json:"webhooks"`
	}
	err := l.call(r, "GET", "/api/v1/webhooks", nil, &out)
	return out.Hooks, err
}

// CreateWebhook: POST /api/v1/webhooks; the signing secret is returned to
// be shown once.
func (l *LocalAPI) CreateWebhook(r *http.Request, h civicgrid.Webhook) (civicgrid.Webhook, string, error) {
	req := struct {
		Name    string                 `json:"name"`
		URL     string                 `json:"url"`
		Within  string                 `json:"within"`
		Actions []civicgrid.CaseAction `json:"actions"`
	}{h.Name, h.URL, h.Within, h.Actions}
	var out struct {
		Hook   civicgrid.Webhook `json:"webhook"`
		Secret string            `json:"secret"`
	}
	err := l.call(r, "POST", "/api/v1/webhooks", req, &out)
	return out.Hook, out.Secret, err
}

// DisableWebhook: DELETE /api/v1/webhooks/{id}.
func (l *LocalAPI) DisableWebhook(r *http.Request, id int64) error {
	return l.call(r, "DELETE", idPath("/api/v1/webhooks/", id, ""), nil, nil)
}

// WebhookDeliveries: GET /api/v1/webhooks/{id}/deliveries?state=S.
func (l *LocalAPI) WebhookDeliveries(r *http.Request, id int64, state string) ([]civicgrid.WebhookDelivery, error) {
	var out struct {
		Deliveries []civicgrid.WebhookDelivery `json:"deliveries"`
	}
	err := l.call(r, "GET", idPath("/api/v1/webhooks/", id, "/deliveries?"+url.Values{"state": {state}}.Encode()), nil, &out)
	return out.Deliveries, err
}

// ReplayWebhook: POST /api/v1/webhooks/{id}/replay (every dead delivery)
// or …/deliveries/{delivery}/replay (one); it returns how many were requeued.
func (l *LocalAPI) ReplayWebhook(r *http.Request, id, deliveryID int64) (int, error) {
	path := idPath("/api/v1/webhooks/", id, "/replay")
	if deliveryID != 0 {
		path = idPath("/api/v1/webhooks/", id, "/deliveries/"+strconv.FormatInt(deliveryID, 10)+"/replay")
	}
	var out struct {
		Requeued int `json:"requeued"`
	}
	err := l.call(r, "POST", path, struct{}{}, &out)
	return out.Requeued, err
}

// AddBuildingRole: POST /api/v1/building-roles.
func (l *LocalAPI) AddBuildingRole(r *http.Request, k civicgrid.BuildingRoleKind) error {
	return l.call(r, "POST", "/api/v1/building-roles", k, nil)
}

// CalendarDays: GET /api/v1/calendar/days?year=Y.
func (l *LocalAPI) CalendarDays(r *http.Request, year int) ([]civicgrid.CalendarDay, error) {
	var out struct {
		Days []civicgrid.CalendarDay `json:"days"`
	}
	err := l.call(r, "GET", "/api/v1/calendar/days?year="+strconv.Itoa(year), nil, &out)
	return out.Days, err
}

// AddCalendarDay: POST /api/v1/calendar/days.
func (l *LocalAPI) AddCalendarDay(r *http.Request, d civicgrid.CalendarDay) error {
	req := struct {
		Date string `json:"date"`
		Kind string `json:"kind"`
		Note string `json:"note,omitempty"`
	}{d.Date, d.Kind, d.Note}
	return l.call(r, "POST", "/api/v1/calendar/days", req, nil)
}

// RemoveCalendarDay: DELETE /api/v1/calendar/days/{date}.
func (l *LocalAPI) RemoveCalendarDay(r *http.Request, date string) error {
	return l.call(r, "DELETE", "/api/v1/calendar/days/"+url.PathEscape(date), nil, nil)
}

// Open311Keys: GET /api/v1/open311/keys.
func (l *LocalAPI) Open311Keys(r *http.Request) ([]civicgrid.Open311Key, error) {
	var out struct {
		Keys []civicgrid.Open311Key `json:"keys"`
	}
	err := l.call(r, "GET", "/api/v1/open311/keys", nil, &out)
	return out.Keys, err
}

// CreateOpen311Key: POST /api/v1/open311/keys; the key is returned to be
// shown once.
func (l *LocalAPI) CreateOpen311Key(r *http.Request, name string) (civicgrid.Open311Key, string, error) {
	var out struct {
		Key    civicgrid.Open311Key `json:"key"`
		Secret string               `json:"secret"`
	}
	err := l.call(r, "POST", "/api/v1/open311/keys", map[string]string{"name": name}, &out)
	return out.Key, out.Secret, err
}

// RevokeOpen311Key: DELETE /api/v1/open311/keys/{id}.
func (l *LocalAPI) RevokeOpen311Key(r *http.Request, id int64) error {
	return l.call(r, "DELETE", idPath("/api/v1/open311/keys/", id, ""), nil, nil)
}
