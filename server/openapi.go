package server

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/care"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/notices"
	"github.com/civicgrid/civicgrid/photo"
	"github.com/civicgrid/civicgrid/search"
)

// The OpenAPI 3.1 document of /api/v1 and the Open311 routes is built from the route table (the
// paths, methods, path parameters and who may call each) and from the Go
// types of the bodies named below (their JSON schemas), so it cannot drift
// from the server: a route without an operation here fails the tests.

// operation is what the route table does not say about a route.
type operation struct {
	summary string
	tag     string
	query   []string // query parameters (strings unless the name says)
	// request and response are values of the JSON bodies' Go types; nil
	// leaves the body undescribed (any JSON, or not JSON).
	request, response any
	created           bool   // answers 201
	produces          string // a non-JSON answer's media type
}

// operations describe the /api/v1 routes by "METHOD PATTERN". The case
// steps (POST /api/v1/cases/{id}/ACTION) are described from the state
// machine's table instead (stepOperation).
var operations = map[string]operation{
	"GET /api/v1/care/kinds":                {summary: "The kinds of care need, with their default visit frequency and risk", tag: "care"},
	"GET /api/v1/care/entries":              {summary: "The care registry of one's communities (names masked; community staff)", tag: "care", query: []string{"within"}},
	"POST /api/v1/care/entries":             {summary: "Register a person for care visits, with consent and a plan (community staff)", tag: "care", request: civicgrid.CareInput{}, response: care.View{}, created: true},
	"GET /api/v1/care/entries.csv":          {summary: "Export the care registry: always refused (sensitive personal information)", tag: "care", query: []string{"within"}, produces: "text/csv"},
	"GET /api/v1/care/entries/{id}":         {summary: "One care entry with its plan and visits (the read is logged)", tag: "care", response: care.View{}},
	"POST /api/v1/care/entries/{id}/plan":   {summary: "Change an entry's visit frequency and visitors", tag: "care", request: care.PlanInput{}, response: care.View{}},
	"POST /api/v1/care/entries/{id}/end":    {summary: "End care with a reason (the personal fields are erased after the retention period)", tag: "care", request: careEndInput{}, response: care.View{}},
	"POST /api/v1/care/entries/{id}/visits": {summary: "Record a visit for the current slot (assigned visitors; in person at the building or by phone)", tag: "care", request: care.VisitInput{}, response: civicgrid.CareVisit{}, created: true},
	"POST /api/v1/care/visits/{id}/case":    {summary: "Turn a visit's concern into a case, linked", tag: "care", request: careCaseInput{}, response: civicgrid.CareVisit{}},
	"POST /api/v1/care/visits/{id}/request": {summary: "Turn a visit's concern into a request for help on the person's behalf, linked (once per visit)", tag: "care", request: careRequestInput{}, response: civicgrid.CareVisit{}},
	"GET /api/v1/care/queue":                {summary: "One's due visits with their traffic light, red first", tag: "care"},
	"GET /api/v1/care/coverage":             {summary: "An area's monthly care-visit coverage rate (visited on time / due)", tag: "care", query: []string{"area", "month"}},
	"GET /api/v1/openapi.json":              {summary: "This document (OpenAPI 3.1)", tag: "meta"},
	"GET /api/v1/search": {summary: "Full-text search (全文检索) of cases, requests for help and proposals the caller may read; newest first, snippets with the words in <mark>",
		tag: "search", query: []string{"q", "kind", "area", "from", "to", "limit:integer", "after"}, response: search.Page{}},
	"GET /api/v1/locate":                                      {summary: "Find the grid a WGS-84 point is in, with its areas and (masked) grid workers", tag: "areas", query: []string{"lat:number", "lng:number"}, response: locateResponse{}},
	"GET /api/v1/areas":                                       {summary: "List current areas", tag: "areas", query: []string{"level", "parent", "limit:integer"}},
	"GET /api/v1/areas.geojson":                               {summary: "Current areas as GeoJSON", tag: "areas", query: []string{"level", "within", "bbox"}, produces: "application/geo+json"},
	"GET /api/v1/areas/{code}":                                {summary: "One area", tag: "areas"},
	"GET /api/v1/areas/{code}/versions":                       {summary: "An area's versions (its history)", tag: "areas"},
	"GET /api/v1/basemap.geojson":                             {summary: "The city's own base layer", tag: "areas", query: []string{"bbox", "zoom:integer", "layers"}, produces: "application/geo+json"},
	"GET /api/v1/places":                                      {summary: "Search places by name", tag: "areas", query: []string{"q", "limit:integer"}},
	"GET /api/v1/roles":                                       {summary: "The roles and what each may do", tag: "access"},
	"GET /api/v1/building-roles":                              {summary: "The building roles (楼栋长 …) a grant may name", tag: "access"},
	"POST /api/v1/building-roles":                             {summary: "Add a building role", tag: "access"},
	"POST /api/v1/auth/login":                                 {summary: "Log in with phone and password (session cookie)", tag: "auth", request: loginRequest{}, response: sessionResponse{}},
	"POST /api/v1/auth/logout":                                {summary: "Log out (end the session)", tag: "auth"},
	"POST /api/v1/auth/signup/code":                           {summary: "Text a sign-up code to a phone", tag: "auth"},
	"POST /api/v1/auth/signup":                                {summary: "Sign up as a resident with the texted code", tag: "auth"},
	"POST /api/v1/auth/reset/code":                            {summary: "Text a password-reset code", tag: "auth"},
	"POST /api/v1/auth/reset":                                 {summary: "Reset one's password with the texted code", tag: "auth"},
	"GET /api/v1/me":                                          {summary: "The logged-in person, their grants and CSRF token", tag: "auth", response: meResponse{}},
	"POST /api/v1/me/password":                                {summary: "Change one's own password", tag: "auth"},
	"GET /api/v1/users":                                       {summary: "List staff accounts in scope (masked)", tag: "users", query: []string{"within", "role"}},
	"POST /api/v1/users":                                      {summary: "Create a staff account", tag: "users", created: true},
	"GET /api/v1/users/{id}":                                  {summary: "One account (masked)", tag: "users"},
	"POST /api/v1/users/{id}/unmask":                          {summary: "Show an account's phone, with a logged reason", tag: "users"},
	"POST /api/v1/users/{id}/password-reset":                  {summary: "Set a temporary password for an account", tag: "users"},
	"POST /api/v1/users/{id}/unlock":                          {summary: "Unlock an account locked by failed logins", tag: "users"},
	"POST /api/v1/users/{id}/grants":                          {summary: "Grant a role in an area", tag: "users"},
	"DELETE /api/v1/users/{id}/grants/{grant}":                {summary: "Revoke a grant", tag: "users"},
	"GET /api/v1/tokens":                                      {summary: "List API tokens", tag: "tokens"},
	"POST /api/v1/tokens":                                     {summary: "Create an API token (its secret is shown once)", tag: "tokens", created: true},
	"DELETE /api/v1/tokens/{id}":                              {summary: "Revoke an API token", tag: "tokens"},
	"GET /api/v1/audit/security":                              {summary: "The security audit log", tag: "audit", query: []string{"kind", "limit:integer", "before:integer"}},
	"GET /api/v1/audit/security.csv":                          {summary: "Export the security audit log", tag: "audit", produces: "text/csv"},
	"POST /api/v1/admin/areas/check":                          {summary: "Check an area import without writing it", tag: "admin"},
	"POST /api/v1/admin/areas/import":                         {summary: "Import areas (GeoJSON), validated, in one transaction", tag: "admin"},
	"GET /api/v1/admin/areas/export":                          {summary: "Export areas as GeoJSON", tag: "admin", query: []string{"within"}, produces: "application/geo+json"},
	"GET /api/v1/open311/keys":                                {summary: "List Open311 api_keys", tag: "open311"},
	"POST /api/v1/open311/keys":                               {summary: "Create an Open311 api_key (shown once)", tag: "open311", created: true},
	"DELETE /api/v1/open311/keys/{id}":                        {summary: "Revoke an Open311 api_key", tag: "open311"},
	"GET /api/v1/calendar/days":                               {summary: "The working calendar's holidays and make-up days", tag: "calendar", query: []string{"year:integer"}},
	"POST /api/v1/calendar/days":                              {summary: "Add a local holiday or make-up day", tag: "calendar"},
	"DELETE /api/v1/calendar/days/{date}":                     {summary: "Remove a local day", tag: "calendar"},
	"GET /api/v1/categories":                                  {summary: "The case catalogue (categories and their limits)", tag: "cases"},
	"PUT /api/v1/categories/{code}":                           {summary: "Change a category's limits or wording", tag: "cases", request: civicgrid.Category{}},
	"POST /api/v1/cases":                                      {summary: "Report a case (Idempotency-Key honoured; 200 with existing: true on a retry)", tag: "cases", request: casework.Report{}, response: casework.Intake{}, created: true},
	"POST /api/v1/photos":                                     {summary: "Upload a photo (JPEG, PNG or WebP; re-encoded, metadata stripped)", tag: "cases"},
	"GET /api/v1/cases":                                       {summary: "List cases in scope", tag: "cases", query: []string{"within", "status", "category", "light", "limit:integer", "before:integer"}},
	"GET /api/v1/cases.csv":                                   {summary: "Export cases in scope", tag: "cases", query: []string{"within", "status", "category"}, produces: "text/csv"},
	"GET /api/v1/cases/nearby":                                {summary: "Open cases near a point (possible duplicates)", tag: "cases", query: []string{"lat:number", "lng:number", "category"}},
	"GET /api/v1/cases/stream":                                {summary: "Live case changes (server-sent events)", tag: "cases", query: []string{"within"}, produces: "text/event-stream"},
	"GET /api/v1/cases/{id}":                                  {summary: "One case (masked)", tag: "cases", response: casework.View{}},
	"GET /api/v1/cases/{id}/events":                           {summary: "A case's hash-chained history", tag: "cases"},
	"POST /api/v1/cases/{id}/unmask":                          {summary: "Show a case's reporter, with a logged reason", tag: "cases", request: unmaskRequest{}},
	"GET /api/v1/indicators":                                  {summary: "Indicators of an area and period", tag: "indicators", query: []string{"within", "from", "to", "category"}},
	"GET /api/v1/indicators/by-category":                      {summary: "Indicators per category", tag: "indicators", query: []string{"within", "from", "to"}},
	"GET /api/v1/indicators/trend":                            {summary: "Indicators per day or month", tag: "indicators", query: []string{"within", "from", "to", "category", "bucket"}},
	"GET /api/v1/webhooks":                                    {summary: "List webhooks", tag: "webhooks"},
	"POST /api/v1/webhooks":                                   {summary: "Create a webhook (its signing secret is shown once)", tag: "webhooks", created: true},
	"DELETE /api/v1/webhooks/{id}":                            {summary: "Disable a webhook", tag: "webhooks"},
	"GET /api/v1/webhooks/{id}/deliveries":                    {summary: "A webhook's deliveries", tag: "webhooks", query: []string{"state"}},
	"POST /api/v1/webhooks/{id}/replay":                       {summary: "Requeue every dead delivery", tag: "webhooks"},
	"POST /api/v1/webhooks/{id}/deliveries/{delivery}/replay": {summary: "Requeue one delivery", tag: "webhooks"},
	"GET /api/v1/notifications":                               {summary: "One's notification inbox", tag: "notifications"},
	"POST /api/v1/notifications/read":                         {summary: "Mark every notification read", tag: "notifications"},
	"POST /api/v1/notifications/{id}/read":                    {summary: "Mark one notification read", tag: "notifications"},
	"GET /api/v1/notifications/settings":                      {summary: "One's notification settings", tag: "notifications"},
	"PUT /api/v1/notifications/settings":                      {summary: "Change one's notification settings", tag: "notifications", request: civicgrid.NotificationPrefs{}},
	"GET /api/v1/notifications/push":                          {summary: "One's browser push subscriptions", tag: "notifications"},
	"POST /api/v1/notifications/push":                         {summary: "Subscribe a browser to push", tag: "notifications", request: pushSubscriptionJSON{}},
	"DELETE /api/v1/notifications/push":                       {summary: "Unsubscribe a browser", tag: "notifications", request: pushSubscriptionJSON{}},
	// Notices (通知公告) and work-group robots (docs/notices.md).
	"GET /api/v1/announcements":                      {summary: "Notices one may read, pinned first, newest first (expired=1: with expired ones)", tag: "notices", query: []string{"expired"}},
	"POST /api/v1/announcements":                     {summary: "Post a notice to an area within one's own (one row, whatever the audience)", tag: "notices", request: civicgrid.NoticeInput{}, response: notices.View{}, created: true},
	"GET /api/v1/announcements/unread":               {summary: "How many notices in force one has not read (the header's badge)", tag: "notices"},
	"GET /api/v1/announcements/stream":               {summary: "New notices one may read (server-sent events)", tag: "notices", produces: "text/event-stream"},
	"GET /api/v1/announcements/follow-up":            {summary: "Notices one may follow up, with their counts in one's area", tag: "notices"},
	"GET /api/v1/announcements/{id}":                 {summary: "One notice (staff over its scope: with its counts)", tag: "notices", response: notices.View{}},
	"POST /api/v1/announcements/{id}/read":           {summary: "Record that one read the notice", tag: "notices"},
	"POST /api/v1/announcements/{id}/confirm":        {summary: "Confirm one read a notice asking so (需确认)", tag: "notices"},
	"POST /api/v1/announcements/{id}/remind":         {summary: "Re-remind the unread (at most once per interval)", tag: "notices"},
	"POST /api/v1/announcements/{id}/withdraw":       {summary: "Withdraw a notice with a reason (its sender, staff over its scope)", tag: "notices", request: WithdrawInput{}},
	"POST /api/v1/announcements/documents":           {summary: "Upload a PDF to attach to a notice (checked by its content, at most 10 MiB; those who post notices)", tag: "notices", response: photo.SavedDocument{}, created: true},
	"GET /api/v1/announcements/{id}/documents/{ref}": {summary: "Download a notice's PDF (its readers only; as an attachment)", tag: "notices", produces: "application/pdf"},
	"GET /api/v1/announcements/{id}/readers":         {summary: "Who of one's buildings or grid has read the notice, and when (masked), 100 a page", tag: "notices", query: []string{"within", "after"}, response: notices.FollowUp{}},
	"GET /api/v1/announcements/{id}/unread-people":   {summary: "Who of one's buildings or grid has not read or confirmed (masked), 100 a page", tag: "notices", query: []string{"within", "after"}, response: notices.FollowUp{}},
	"GET /api/v1/group-robots":                       {summary: "The work-group robots of an area", tag: "notices", query: []string{"within"}},
	"POST /api/v1/group-robots":                      {summary: "Connect a work group's robot (WeCom or DingTalk; https, public address)", tag: "notices", request: civicgrid.RobotInput{}, created: true},
	"DELETE /api/v1/group-robots/{id}":               {summary: "Stop a work-group robot", tag: "notices"},
	"GET /api/v1/group-robots/{id}/deliveries":       {summary: "A robot's deliveries and their state", tag: "notices"},
}

// stepOperation describes a case step route from the state machine.
func stepOperation(method, pattern string) (operation, bool) {
	action, ok := strings.CutPrefix(pattern, "/api/v1/cases/{id}/")
	if !ok || method != "POST" {
		return operation{}, false
	}
	for _, t := range civicgrid.CaseTransitions {
		if string(t.Action) == action {
			return operation{summary: "Case step: " + action + " (from " + statusList(t.From) + ")", tag: "case steps", request: casework.Step{}}, true
		}
	}
	return operation{}, false
}

func statusList(from []civicgrid.CaseStatus) string {
	s := make([]string, len(from))
	for i, f := range from {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// open311Operations describe the GeoReport v2 routes by "METHOD PATTERN"
// with the format left out (each is served as .xml, the spec's format, and
// .json). civicgrid's extensions: extensions=true adds the case's public
// steps (notes) and media; attribute[building_code] places a report in a
// building; POST takes an Idempotency-Key like the API.
var open311Operations = map[string]operation{
	"GET /open311/discovery":    {summary: "Open311 discovery: the endpoint, formats and specification"},
	"GET /open311/v2/services":  {summary: "GeoReport v2 service list (the case categories)", query: []string{"jurisdiction_id"}},
	"POST /open311/v2/requests": {summary: "GeoReport v2: file a service request (form-encoded, with an api_key; extension: attribute[building_code], Idempotency-Key)"},
	"GET /open311/v2/requests": {summary: "GeoReport v2: list service requests in their public form (location rounded to ~100 m, no reporter)",
		query: []string{"jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date", "status", "page:integer", "page_size:integer", "extensions"}},
	"GET /open311/v2/services/{file}": {summary: "GeoReport v2 service definition ({file} is CODE.xml or CODE.json)"},
	"GET /open311/v2/requests/{file}": {summary: "GeoReport v2: one service request ({file} is ID.xml or ID.json; extension: extensions=true)", query: []string{"jurisdiction_id", "extensions"}},
	"GET /open311/v2/tokens/{file}":   {summary: "GeoReport v2: the request id a token became ({file} is TOKEN.xml or TOKEN.json)"},
}

// documented: the routes the document describes.
func documented(pattern string) bool {
	return strings.HasPrefix(pattern, "/api/v1/") || strings.HasPrefix(pattern, "/open311/")
}

// operationFor is the description of a route, if it has one.
func operationFor(rt Route) (operation, bool) {
	if op, ok := operations[rt.Method+" "+rt.Pattern]; ok {
		return op, true
	}
	if strings.HasPrefix(rt.Pattern, "/open311/") {
		base, format := rt.Pattern, ""
		for _, f := range []string{"xml", "json"} {
			if b, ok := strings.CutSuffix(rt.Pattern, "."+f); ok {
				base, format = b, f
			}
		}
		op, ok := open311Operations[rt.Method+" "+base]
		op.tag = "open311 (GeoReport v2)"
		switch format {
		case "xml":
			op.produces = "text/xml"
		case "json":
			op.produces = "application/json"
		default:
			op.produces = "application/json" // and text/xml, by the file's extension
		}
		return op, ok
	}
	return stepOperation(rt.Method, rt.Pattern)
}

// MissingOperations lists the /api/v1 routes without a description, and
// descriptions without a route ("stale: …"); the tests require none of a
// server with every part configured.
func (s *Server) MissingOperations() []string {
	var missing []string
	have := map[string]bool{}
	for _, rt := range s.table {
		if !documented(rt.Pattern) {
			continue
		}
		have[rt.Method+" "+rt.Pattern] = true
		if _, ok := operationFor(rt); !ok {
			missing = append(missing, rt.Method+" "+rt.Pattern)
		}
	}
	for k := range operations {
		if !have[k] {
			missing = append(missing, "stale: "+k)
		}
	}
	for k := range open311Operations {
		if !have[k+".json"] && !have[k+".xml"] && !have[k] {
			missing = append(missing, "stale: "+k)
		}
	}
	sort.Strings(missing)
	return missing
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI builds the OpenAPI 3.1 document of /api/v1 and of the Open311
// routes with civicgrid's extensions.
func (s *Server) OpenAPI() map[string]any {
	schemas := map[string]any{"Error": errorSchema()}
	paths := map[string]map[string]any{}
	for _, rt := range s.table {
		if !documented(rt.Pattern) {
			continue
		}
		op, _ := operationFor(rt)
		o := map[string]any{
			"operationId": operationID(rt),
			"summary":     op.summary,
			"tags":        []string{op.tag},
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Pattern, -1) {
			typ := "string"
			if m[1] == "id" || m[1] == "grant" || m[1] == "delivery" {
				typ = "integer"
			}
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": typ}})
		}
		for _, q := range op.query {
			name, typ, ok := strings.Cut(q, ":")
			if !ok {
				typ = "string"
			}
			params = append(params, map[string]any{"name": name, "in": "query", "schema": map[string]any{"type": typ}})
		}
		if rt.Method == "POST" && rt.Pattern == "/api/v1/cases" {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "schema": map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		if rt.Public {
			o["security"] = []any{}
		} else {
			o["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}}
			o["x-civicgrid-action"] = string(rt.Action)
			o["description"] = "Needs the " + string(rt.Action) + " permission in scope (see docs/security.md)."
		}
		if op.request != nil {
			o["requestBody"] = map[string]any{"content": map[string]any{
				"application/json": map[string]any{"schema": schemaRef(schemas, op.request, true)}}}
		} else if strings.HasPrefix(rt.Pattern, "/open311/") && rt.Method == "POST" {
			o["requestBody"] = map[string]any{"content": map[string]any{"application/x-www-form-urlencoded": map[string]any{}, "multipart/form-data": map[string]any{}}}
		} else if rt.Method == "POST" || rt.Method == "PUT" {
			o["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{}}}
		}
		ok := map[string]any{"description": "done"}
		switch {
		case op.produces != "":
			ok["content"] = map[string]any{op.produces: map[string]any{}}
		case op.response != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaRef(schemas, op.response, false)}}
		default:
			ok["content"] = map[string]any{"application/json": map[string]any{}}
		}
		responses := map[string]any{"default": map[string]any{"description": "an error (see the code)",
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}}
		if strings.HasPrefix(rt.Pattern, "/open311/") {
			// GeoReport's own error lists: [{code, description}].
			responses["default"] = map[string]any{"description": "a GeoReport error list", "content": map[string]any{op.produces: map[string]any{}}}
		}
		if op.created {
			responses["201"] = ok
			if op.response != nil {
				responses["200"] = ok // an idempotent retry
			}
		} else {
			responses["200"] = ok
		}
		o["responses"] = responses
		if paths[rt.Pattern] == nil {
			paths[rt.Pattern] = map[string]any{}
		}
		paths[rt.Pattern][strings.ToLower(rt.Method)] = o
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "civicgrid API", "version": "v1",
			"description": "Grid-based community governance. Errors answer {\"error\": {code, message, problems, request_id}}; quote request_id when reporting a problem."},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "an API token (cgt_…)"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie, "description": "a login session; writes also send the CSRF token from GET /api/v1/me"},
			},
		},
	}
}

// operationID makes a stable id from the method and pattern.
func operationID(rt Route) string {
	id := strings.ToLower(rt.Method)
	for _, part := range strings.Split(strings.TrimPrefix(strings.TrimPrefix(rt.Pattern, "/api/v1"), "/"), "/") {
		part = strings.NewReplacer("{", "by_", "}", "", ".", "_", "-", "_").Replace(part)
		id += "_" + part
	}
	return id
}

func errorSchema() map[string]any {
	return map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{
		"error": map[string]any{"type": "object", "required": []string{"code", "message"}, "properties": map[string]any{
			"code":       map[string]any{"type": "string"},
			"message":    map[string]any{"type": "string"},
			"request_id": map[string]any{"type": "string"},
			"problems":   map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
		}}}}
}

// schemaRef puts v's type's schema in schemas and returns a reference. A
// request body's schema requires no field (the handlers answer what is
// missing, in their own words) and allows no unknown one (they refuse it);
// an answer always has the fields that are not omitempty.
func schemaRef(schemas map[string]any, v any, request bool) map[string]any {
	t := reflect.TypeOf(v)
	name := strings.ReplaceAll(t.String(), ".", "_")
	if request {
		name += "_request"
	}
	if _, ok := schemas[name]; !ok {
		schemas[name] = schemaOf(t, request)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	marshalerType   = reflect.TypeFor[json.Marshaler]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// schemaOf is the JSON Schema (2020-12, as OpenAPI 3.1 uses) of what
// encoding/json makes of t. Types with their own JSON encoding are left
// open; nil slices, maps and pointers may be null.
func schemaOf(t reflect.Type, request bool) map[string]any {
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Pointer:
		return map[string]any{"anyOf": []any{schemaOf(t.Elem(), request), map[string]any{"type": "null"}}}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": []string{"string", "null"}}
		}
		return map[string]any{"type": []string{"array", "null"}, "items": schemaOf(t.Elem(), request)}
	case reflect.Map:
		return map[string]any{"type": []string{"object", "null"}, "additionalProperties": schemaOf(t.Elem(), request)}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		addFields(t, request, props, &required)
		s := map[string]any{"type": "object", "properties": props}
		if request {
			s["additionalProperties"] = false
		} else if len(required) > 0 {
			sort.Strings(required)
			s["required"] = required
		}
		return s
	}
	return map[string]any{}
}

func addFields(t reflect.Type, request bool, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			addFields(f.Type, request, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := schemaOf(f.Type, request)
		if strings.Contains(opts, "string") {
			s = map[string]any{"type": "string"}
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}

// handleOpenAPI: GET /api/v1/openapi.json.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.OpenAPI())
}

// handleAPIDocs: GET /api/docs, a plain page listing the operations by tag
// (no script: the document itself is at /api/v1/openapi.json).
func (s *Server) handleAPIDocs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
		`<title>civicgrid API</title><style>body{font:15px/1.5 system-ui,sans-serif;margin:1rem;max-width:60rem}code{font-size:14px}` +
		`li{margin:.4rem 0}code{overflow-wrap:anywhere}.m{font-weight:bold}.w{color:#555}</style></head><body><h1>civicgrid API v1</h1>` +
		`<p>The OpenAPI 3.1 document: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (load it into any OpenAPI viewer or client generator).</p>`)
	byTag := map[string][]Route{}
	for _, rt := range s.table {
		if op, ok := operationFor(rt); ok && documented(rt.Pattern) {
			byTag[op.tag] = append(byTag[op.tag], rt)
		}
	}
	tags := make([]string, 0, len(byTag))
	for t := range byTag {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	for _, t := range tags {
		b.WriteString("<h2>" + htmlEscape(t) + "</h2><ul>")
		for _, rt := range byTag[t] {
			op, _ := operationFor(rt)
			who := "public"
			if !rt.Public {
				who = string(rt.Action)
			}
			b.WriteString("<li><span class=m>" + rt.Method + "</span> <code>" + htmlEscape(rt.Pattern) + "</code><br>" +
				htmlEscape(op.summary) + " <span class=w>— " + htmlEscape(who) + "</span></li>")
		}
		b.WriteString("</ul>")
	}
	b.WriteString("</body></html>")
	w.Write([]byte(b.String()))
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
