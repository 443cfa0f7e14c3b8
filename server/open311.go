package server

// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at
// /open311/v2/, with discovery at /open311/discovery.{xml,json}. XML is
// the spec's required format; JSON mirrors it. Errors are lists of
// {code, description}: 404 for what does not exist, 403 for a bad api_key,
// 400 for anything else. Requests are shown as the public sees them: no
// reporter identity, no address, the location rounded to about 100 m.

import (
	"context"
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb/planar"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/internal/siteurl"
)

// Open311Store is what the Open311 endpoints need beyond the case service.
type Open311Store interface {
	AuthenticateOpen311Key(ctx context.Context, key string) (int64, string, error)
	IdempotentCaseID(ctx context.Context, scope, key string) (int64, error)
	ListCases(ctx context.Context, f civicgrid.CaseFilter) ([]civicgrid.Case, error)
	CaseByID(ctx context.Context, id int64) (civicgrid.Case, error)
	CaseEvents(ctx context.Context, caseID int64) ([]civicgrid.CaseEvent, error)
	BuildingsNamed(ctx context.Context, names []string) ([]civicgrid.Area, error)
}

const (
	open311TokenScope = "open311-token"
	open311MaxList    = 1000 // the spec's default cap on a list
	open311MaxPage    = 500
	open311Span       = 90 * 24 * time.Hour
)

func (s *Server) open311Routes(public func(string, string, http.HandlerFunc)) {
	for _, f := range []string{"xml", "json"} {
		public("GET", "/open311/discovery."+f, s.o311(f, s.handleO311Discovery))
		public("GET", "/open311/v2/services."+f, s.o311(f, s.handleO311Services))
		public("POST", "/open311/v2/requests."+f, s.o311(f, s.handleO311Create))
		public("GET", "/open311/v2/requests."+f, s.o311(f, s.handleO311List))
	}
	// {file} is "CODE.xml" or "CODE.json".
	public("GET", "/open311/v2/services/{file}", s.o311File(s.handleO311Definition))
	public("GET", "/open311/v2/requests/{file}", s.o311File(s.handleO311Request))
	public("GET", "/open311/v2/tokens/{file}", s.o311File(s.handleO311Token))
}

// o311Error is one error of a GeoReport error list.
type o311Error struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

type o311Handler func(w http.ResponseWriter, r *http.Request, format, id string) (any, error)

func (s *Server) o311(format string, h func(http.ResponseWriter, *http.Request, string, string) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.o311Serve(w, r, format, "", h)
	}
}

func (s *Server) o311File(h o311Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		file := r.PathValue("file")
		dot := strings.LastIndexByte(file, '.')
		format := ""
		if dot > 0 {
			format = file[dot+1:]
		}
		if format != "xml" && format != "json" {
			s.o311Write(w, "xml", http.StatusNotFound, o311Errors(404, "unknown format: end the path with .xml or .json"))
			return
		}
		s.o311Serve(w, r, format, file[:dot], h)
	}
}

func (s *Server) o311Serve(w http.ResponseWriter, r *http.Request, format, id string, h o311Handler) {
	if s.cases == nil || s.open311 == nil {
		s.o311Write(w, format, http.StatusNotFound, o311Errors(404, "Open311 is not served here"))
		return
	}
	if r.Method == http.MethodPost {
		if err := o311ParseForm(w, r); err != nil {
			s.o311Write(w, format, o311Status(err), o311Errors(o311Status(err), civicgrid.ErrorMessage(err)))
			return
		}
	}
	if j := o311Param(r, "jurisdiction_id"); j != "" && j != s.cfg.Jurisdiction {
		s.o311Write(w, format, http.StatusNotFound, o311Errors(404, "unknown jurisdiction_id "+strconv.Quote(j)+"; this endpoint serves "+s.cfg.Jurisdiction))
		return
	}
	v, err := h(w, r, format, id)
	if err != nil {
		status := o311Status(err)
		var list []o311Error
		if e, ok := err.(*civicgrid.Error); ok && len(e.Problems) > 0 {
			for _, p := range e.Problems {
				list = append(list, o311Error{Code: status, Description: p.Detail})
			}
		} else {
			list = o311Errors(status, civicgrid.ErrorMessage(err))
		}
		if status == http.StatusInternalServerError {
			writeError(w, r, err) // logs it
			return
		}
		s.o311Write(w, format, status, list)
		return
	}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		status = http.StatusCreated
	}
	s.o311Write(w, format, status, v)
}

// o311Status is the HTTP status of an error: the spec's 404, 403 and 400,
// and what a strict client must tell apart from a 400 (a body too large, a
// reused Idempotency-Key, too many requests).
func o311Status(err error) int {
	switch code := civicgrid.ErrorCode(err); code {
	case civicgrid.EUNAUTHORIZED:
		// Open311 answers a missing or bad api_key with 403.
		return http.StatusForbidden
	case civicgrid.ENOTFOUND, civicgrid.EFORBIDDEN, civicgrid.ETOOLARGE, civicgrid.ECONFLICT, civicgrid.ETHROTTLED,
		civicgrid.EINTERNAL, civicgrid.ENOSPACE, civicgrid.EUNAVAILABLE:
		return statusOf[code] // the server's one table
	}
	return http.StatusBadRequest
}

func o311Errors(code int, desc string) []o311Error {
	return []o311Error{{Code: code, Description: desc}}
}

// maxO311Body bounds a POST (a 4,000-character description and the rest).
const maxO311Body = 64 << 10

// o311ParseForm reads a POST's form body within its limit, before anything
// else looks at the request's parameters.
func o311ParseForm(w http.ResponseWriter, r *http.Request) error {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		return civicgrid.Errorf(civicgrid.EINVALID, "send the parameters as application/x-www-form-urlencoded, not %q", ct)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxO311Body)
	if err := r.ParseForm(); err != nil {
		return bodyError(err)
	}
	return nil
}

// o311Param reads a parameter: from a POST's form body, else from the query
// string (where clients put jurisdiction_id even on a POST); an empty one
// counts as absent.
func o311Param(r *http.Request, name string) string {
	if v := strings.TrimSpace(r.PostForm.Get(name)); v != "" {
		return v
	}
	return strings.TrimSpace(r.URL.Query().Get(name))
}

// o311Values reads a list parameter, given as a comma list, repeated, or
// both; duplicates and empty items are dropped.
func o311Values(r *http.Request, name string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range slices.Concat(r.PostForm[name], r.URL.Query()[name]) {
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" && !seen[item] {
				seen[item] = true
				out = append(out, item)
			}
		}
	}
	return out
}

// o311ParseTime reads a date or date-time in the W3C profile of ISO 8601
// the spec names: 2026-12-01T08:00:00+08:00 (seconds and their fractions
// optional), or a date alone (2026-12-01, 2026-12, 2026) taken in Beijing
// time — its start, or with end, the start of the next day, month or year,
// so that an end date includes the whole of it. A "+" sent unescaped in a
// query string arrives as a space and is read as "+".
func o311ParseTime(v string, end bool) (time.Time, bool) {
	v = strings.Replace(v, " ", "+", 1)
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	for _, d := range []struct {
		layout  string
		y, m, d int
	}{{"2006-01-02", 0, 0, 1}, {"2006-01", 0, 1, 0}, {"2006", 1, 0, 0}} {
		if t, err := time.ParseInLocation(d.layout, v, civicgrid.Beijing); err == nil {
			if end {
				t = t.AddDate(d.y, d.m, d.d)
			}
			return t, true
		}
	}
	return time.Time{}, false
}

// xmlList wraps a list for XML: <services><service>…</service></services>.
type xmlList[T any] struct {
	XMLName xml.Name
	Items   []T
}

func xmlWrap[T any](name string, items []T) xmlList[T] {
	return xmlList[T]{XMLName: xml.Name{Local: name}, Items: items}
}

func (s *Server) o311Write(w http.ResponseWriter, format string, status int, v any) {
	if format == "json" {
		writeJSON(w, status, v)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	// Lists get the spec's wrapper element.
	switch x := v.(type) {
	case []o311Error:
		v = xmlWrap("errors", x)
	case []o311Service:
		v = xmlWrap("services", x)
	case []o311Request:
		v = xmlWrap("service_requests", x)
	case []o311Created:
		v = xmlWrap("service_requests", x)
	case []o311Token:
		v = xmlWrap("service_requests", x)
	}
	err := xml.NewEncoder(w).Encode(v)
	if err != nil {
		fmt.Fprintf(w, "<!-- encoding failed: %s -->", xmlEscape(err.Error()))
	}
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Discovery.

type o311Endpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

type o311Discovery struct {
	XMLName    xml.Name       `json:"-" xml:"discovery"`
	Changeset  string         `json:"changeset" xml:"changeset"`
	Contact    string         `json:"contact" xml:"contact"`
	KeyService string         `json:"key_service" xml:"key_service"`
	Endpoints  []o311Endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

// baseURL is the site's address: --public-url when set, else as the
// request reached it.
func (s *Server) baseURL(r *http.Request) string {
	return siteurl.Base(s.cfg.PublicURL, r, s.cfg.Auth.SecureCookie)
}

func (s *Server) handleO311Discovery(w http.ResponseWriter, r *http.Request, format, _ string) (any, error) {
	return o311Discovery{Changeset: "2026-11-22T00:00:00+08:00", Contact: "the civicgrid operator of this deployment",
		KeyService: "api keys are issued by the operator: civicgrid open311 key add NAME",
		Endpoints: []o311Endpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: s.baseURL(r) + "/open311/v2",
			Changeset: "2026-11-22T00:00:00+08:00", Type: "production", Formats: []string{"text/xml", "application/json"}}}}, nil
}

// Services.

type o311Service struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	ServiceName string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
}

func (s *Server) activeCategories(ctx context.Context) ([]civicgrid.Category, error) {
	cats, err := s.cases.Categories(ctx)
	if err != nil {
		return nil, err
	}
	out := cats[:0:0]
	for _, c := range cats {
		if c.Active {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *Server) handleO311Services(w http.ResponseWriter, r *http.Request, format, _ string) (any, error) {
	cats, err := s.activeCategories(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]o311Service, len(cats))
	for i, c := range cats {
		out[i] = o311Service{ServiceCode: c.Code, ServiceName: c.NameZH, Description: c.NameEN, Metadata: true, Type: "realtime",
			Keywords: strings.Join(strings.Fields(c.Keyword), ","), Group: c.Group}
	}
	return out, nil
}

type o311Attribute struct {
	XMLName             xml.Name `json:"-" xml:"attribute"`
	Variable            bool     `json:"variable" xml:"variable"`
	Code                string   `json:"code" xml:"code"`
	Datatype            string   `json:"datatype" xml:"datatype"`
	Required            bool     `json:"required" xml:"required"`
	DatatypeDescription string   `json:"datatype_description" xml:"datatype_description"`
	Order               int      `json:"order" xml:"order"`
	Description         string   `json:"description" xml:"description"`
}

type o311Definition struct {
	XMLName     xml.Name        `json:"-" xml:"service_definition"`
	ServiceCode string          `json:"service_code" xml:"service_code"`
	Attributes  []o311Attribute `json:"attributes" xml:"attributes>attribute"`
}

// o311Attributes are the attributes every service takes.
var o311Attributes = []o311Attribute{{Variable: true, Code: "building_code", Datatype: "string", Required: false,
	DatatypeDescription: "the 19-digit code of the building, if the problem is in or at one", Order: 1,
	Description: "楼栋编码 Building code"}}

func (s *Server) handleO311Definition(w http.ResponseWriter, r *http.Request, format, code string) (any, error) {
	cats, err := s.activeCategories(r.Context())
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		if c.Code == code {
			return o311Definition{ServiceCode: c.Code, Attributes: o311Attributes}, nil
		}
	}
	return nil, civicgrid.Errorf(civicgrid.ENOTFOUND, "service_code %s not found", code)
}

// Requests.

type o311Note struct {
	XMLName     xml.Name `json:"-" xml:"note"`
	Datetime    string   `json:"datetime" xml:"datetime"`
	Type        string   `json:"type" xml:"type"`
	Description string   `json:"description" xml:"description"`
}

type o311Extended struct {
	Channel  string   `json:"channel" xml:"channel"`
	GridCode string   `json:"grid_code" xml:"grid_code"`
	Status   string   `json:"civicgrid_status" xml:"civicgrid_status"`
	Photos   []string `json:"photos" xml:"photos>photo"`
}

type o311Request struct {
	XMLName            xml.Name      `json:"-" xml:"request"`
	ServiceRequestID   string        `json:"service_request_id" xml:"service_request_id"`
	Status             string        `json:"status" xml:"status"`
	StatusNotes        string        `json:"status_notes" xml:"status_notes"`
	ServiceName        string        `json:"service_name" xml:"service_name"`
	ServiceCode        string        `json:"service_code" xml:"service_code"`
	Description        string        `json:"description" xml:"description"`
	AgencyResponsible  string        `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice      string        `json:"service_notice" xml:"service_notice"`
	RequestedDatetime  string        `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime    string        `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime   *string       `json:"expected_datetime" xml:"expected_datetime,omitempty"`
	Address            string        `json:"address" xml:"address"`
	AddressID          string        `json:"address_id" xml:"address_id"`
	Zipcode            string        `json:"zipcode" xml:"zipcode"`
	Lat                float64       `json:"lat" xml:"lat"`
	Long               float64       `json:"long" xml:"long"`
	MediaURL           string        `json:"media_url" xml:"media_url"`
	ExtendedAttributes *o311Extended `json:"extended_attributes,omitempty" xml:"extended_attributes,omitempty"`
	// Notes come with extensions=true only. XML gets its own field: a nil
	// pointer leaves out the <notes> element, where "notes>note" would
	// write an empty one.
	Notes    []o311Note    `json:"notes,omitempty" xml:"-"`
	XMLNotes *o311NoteList `json:"-" xml:"notes,omitempty"`
}

type o311NoteList struct {
	Notes []o311Note `xml:"note"`
}

func o311Time(t time.Time) string { return t.In(civicgrid.Beijing).Format(time.RFC3339) }

// statusNotes says in words where a case stands (Open311 knows only open
// and closed).
var statusNotes = map[civicgrid.CaseStatus]string{
	civicgrid.StatusReported: "已上报 reported", civicgrid.StatusRegistered: "已立案 registered",
	civicgrid.StatusDispatched: "已派遣 dispatched", civicgrid.StatusInProgress: "处置中 in progress",
	civicgrid.StatusHandled: "已处置，待核查 handled, to be verified", civicgrid.StatusVerified: "已核查 verified",
	civicgrid.StatusClosed: "已结案 closed", civicgrid.StatusRated: "已评价 closed and rated",
	civicgrid.StatusSuspended: "挂账 suspended", civicgrid.StatusRejected: "不予受理 rejected",
	civicgrid.StatusMerged: "已合并 merged as a duplicate", civicgrid.StatusCancelled: "已作废 cancelled",
}

func (s *Server) o311Request(r *http.Request, c civicgrid.Case, cats map[string]civicgrid.Category, extensions bool) (o311Request, error) {
	c = c.Public()
	out := o311Request{ServiceRequestID: strconv.FormatInt(c.ID, 10), Status: "open", StatusNotes: statusNotes[c.Status],
		ServiceName: cats[c.Category].NameZH, ServiceCode: c.Category, Description: c.Description,
		AgencyResponsible: c.AssigneeDept, RequestedDatetime: o311Time(c.CreatedAt), UpdatedDatetime: o311Time(c.UpdatedAt),
		Lat: c.Lat, Long: c.Lng}
	if !c.Status.Open() {
		out.Status = "closed"
	}
	if c.MergedInto != 0 {
		out.StatusNotes += " → " + strconv.FormatInt(c.MergedInto, 10)
	}
	if out.AgencyResponsible == "" && c.AssigneeID != 0 {
		out.AgencyResponsible = "网格员 grid worker"
	}
	switch {
	case c.Status.Open() && !c.ResolveBy.IsZero():
		e := o311Time(c.ResolveBy)
		out.ExpectedDatetime = &e
	case c.Status == civicgrid.StatusReported && !c.RespondBy.IsZero():
		e := o311Time(c.RespondBy)
		out.ExpectedDatetime = &e
	}
	if len(c.Photos) > 0 {
		out.MediaURL = s.baseURL(r) + "/photos/" + c.Photos[0]
	}
	// A media_url posted with the request is kept in its report event.
	if !extensions && (out.MediaURL != "" || c.Channel != civicgrid.ChannelOpen311) {
		return out, nil
	}
	evs, err := s.open311.CaseEvents(r.Context(), c.ID)
	if err != nil {
		return out, err
	}
	if out.MediaURL == "" && len(evs) > 0 && evs[0].Action == civicgrid.CaseReport {
		out.MediaURL = evs[0].Data[civicgrid.DataMediaURL]
	}
	if extensions {
		out.ExtendedAttributes = &o311Extended{Channel: c.Channel, GridCode: c.GridCode, Status: string(c.Status), Photos: c.Photos}
		out.Notes = []o311Note{}
		for _, ev := range evs {
			// Notes of the history, without who wrote them (staff names
			// are not for the public) and without internal notes.
			out.Notes = append(out.Notes, o311Note{Datetime: o311Time(ev.At), Type: string(ev.Action), Description: statusNotes[ev.To]})
		}
		out.XMLNotes = &o311NoteList{Notes: out.Notes}
	}
	return out, nil
}

func (s *Server) catalogueMap(ctx context.Context) (map[string]civicgrid.Category, error) {
	cats, err := s.cases.Categories(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]civicgrid.Category, len(cats))
	for _, c := range cats {
		m[c.Code] = c
	}
	return m, nil
}

// o311ListTTL is how long a list answer is kept: Open311's lists are public
// and the same for every caller, and clients poll them (a city's dashboard,
// apps showing what is open nearby), so a list asked for many times a
// second is made once — up to this much older than the store.
const o311ListTTL = 2 * time.Second

// o311ListCache holds recent list answers by address (scheme, host — the
// photos' links name it —, and the query with its parameters sorted).
type o311ListCache struct {
	mu      sync.Mutex
	entries map[string]o311ListEntry
}

type o311ListEntry struct {
	at  time.Time
	out []o311Request
}

// o311ListCacheSize bounds the kept answers; when it is reached, the expired
// ones are dropped, and all of them if none has expired.
const o311ListCacheSize = 256

func (c *o311ListCache) get(key string, now time.Time) ([]o311Request, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.at) >= o311ListTTL || now.Before(e.at) {
		return nil, false
	}
	return e.out, true
}

func (c *o311ListCache) put(key string, now time.Time, out []o311Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]o311ListEntry{}
	}
	if len(c.entries) >= o311ListCacheSize {
		for k, e := range c.entries {
			if now.Sub(e.at) >= o311ListTTL {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= o311ListCacheSize {
			clear(c.entries)
		}
	}
	c.entries[key] = o311ListEntry{at: now, out: out}
}

func (s *Server) handleO311List(w http.ResponseWriter, r *http.Request, format, file string) (any, error) {
	key := s.baseURL(r) + " " + format + " " + r.URL.Query().Encode()
	now := s.now()
	if out, ok := s.o311Lists.get(key, now); ok {
		return out, nil
	}
	out, err := s.o311List(w, r, format, file)
	if err == nil {
		s.o311Lists.put(key, now, out)
	}
	return out, err
}

func (s *Server) o311List(w http.ResponseWriter, r *http.Request, format, _ string) ([]o311Request, error) {
	f := civicgrid.CaseFilter{All: true, Limit: open311MaxList}
	extensions := o311Param(r, "extensions") == "true"
	if ids := o311Values(r, "service_request_id"); len(ids) > 0 {
		// A list of ids overrides every other filter.
		for _, v := range ids {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return nil, civicgrid.Errorf(civicgrid.EINVALID, "service_request_id: %q is not a request id", v)
			}
			f.IDs = append(f.IDs, id)
		}
		if len(f.IDs) > open311MaxList {
			return nil, civicgrid.Errorf(civicgrid.EINVALID, "service_request_id: at most %d ids", open311MaxList)
		}
	} else {
		f.Category = o311Values(r, "service_code")
		f.Until = s.now().Add(time.Second)
		f.Since = f.Until.Add(-open311Span)
		for name, dst := range map[string]*time.Time{"start_date": &f.Since, "end_date": &f.Until} {
			if v := o311Param(r, name); v != "" {
				t, ok := o311ParseTime(v, name == "end_date")
				if !ok {
					return nil, civicgrid.Errorf(civicgrid.EINVALID, "%s: want an ISO 8601 (W3C) date or date-time, e.g. 2026-11-01 or 2026-11-01T00:00:00+08:00", name)
				}
				*dst = t
			}
		}
		if o311Param(r, "start_date") != "" && o311Param(r, "end_date") == "" {
			f.Until = f.Since.Add(open311Span)
		}
		if o311Param(r, "end_date") != "" && o311Param(r, "start_date") == "" {
			f.Since = f.Until.Add(-open311Span)
		}
		if !f.Until.After(f.Since) {
			return nil, civicgrid.Errorf(civicgrid.EINVALID, "end_date must be after start_date")
		}
		if f.Until.Sub(f.Since) > open311Span {
			return nil, civicgrid.Errorf(civicgrid.EINVALID, "start_date to end_date spans at most 90 days")
		}
		statuses := o311Values(r, "status")
		for _, st := range statuses {
			if st != "open" && st != "closed" {
				return nil, civicgrid.Errorf(civicgrid.EINVALID, "status: open, closed or both (open,closed), not %q", st)
			}
		}
		if len(statuses) == 1 { // both is every status: no filter
			for _, cs := range civicgrid.CaseStatuses {
				if cs.Open() == (statuses[0] == "open") {
					f.Status = append(f.Status, cs)
				}
			}
		}
		if p, ps := o311Param(r, "page"), o311Param(r, "page_size"); p != "" || ps != "" {
			page, size := 1, 50
			var err error
			if p != "" {
				if page, err = strconv.Atoi(p); err != nil || page < 1 {
					return nil, civicgrid.Errorf(civicgrid.EINVALID, "page: a number from 1")
				}
			}
			if ps != "" {
				if size, err = strconv.Atoi(ps); err != nil || size < 1 || size > open311MaxPage {
					return nil, civicgrid.Errorf(civicgrid.EINVALID, "page_size: 1 to %d", open311MaxPage)
				}
			}
			f.Limit, f.Offset = size, (page-1)*size
		}
	}
	cs, err := s.open311.ListCases(r.Context(), f)
	if err != nil {
		return nil, err
	}
	cats, err := s.catalogueMap(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]o311Request, 0, len(cs))
	for _, c := range cs {
		v, err := s.o311Request(r, c, cats, extensions)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) handleO311Request(w http.ResponseWriter, r *http.Request, format, id string) (any, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return nil, civicgrid.Errorf(civicgrid.ENOTFOUND, "service request %q not found", id)
	}
	c, err := s.open311.CaseByID(r.Context(), n)
	if err != nil {
		return nil, err
	}
	cats, err := s.catalogueMap(r.Context())
	if err != nil {
		return nil, err
	}
	v, err := s.o311Request(r, c, cats, o311Param(r, "extensions") == "true")
	return []o311Request{v}, err
}

type o311Token struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	Token            string   `json:"token" xml:"token"`
}

func (s *Server) handleO311Token(w http.ResponseWriter, r *http.Request, format, token string) (any, error) {
	id, err := s.open311.IdempotentCaseID(r.Context(), open311TokenScope, token)
	if err != nil {
		return nil, err
	}
	if id == 0 {
		return nil, civicgrid.Errorf(civicgrid.ENOTFOUND, "token %q not found", token)
	}
	return []o311Token{{ServiceRequestID: strconv.FormatInt(id, 10), Token: token}}, nil
}

// o311Created answers a POST. All services are realtime, so the answer
// carries the service_request_id and, as the spec asks, no token.
type o311Created struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice    string   `json:"service_notice" xml:"service_notice"`
	AccountID        string   `json:"account_id" xml:"account_id"`
}

func (s *Server) handleO311Create(w http.ResponseWriter, r *http.Request, format, _ string) (any, error) {
	keyID, keyName, err := s.open311.AuthenticateOpen311Key(r.Context(), o311Param(r, "api_key"))
	if err != nil {
		return nil, err
	}
	if wait, ok := s.o311Limit.allow("api_key:"+strconv.FormatInt(keyID, 10), s.now()); !ok {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		return nil, civicgrid.Errorf(civicgrid.ETHROTTLED, "this api_key filed more than %d requests a minute; retry in %d s", s.cfg.Open311PerMinute, int(wait.Seconds())+1)
	}
	// A retry with the same key and the same parameters answers the first
	// request again; the same key with other parameters is refused.
	idem, err := idempotencyKey(r, "open311:"+strconv.FormatInt(keyID, 10), []byte(r.PostForm.Encode()))
	if err != nil {
		return nil, err
	}
	code := o311Param(r, "service_code")
	if code == "" {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "service_code is required")
	}
	cats, err := s.catalogueMap(r.Context())
	if err != nil {
		return nil, err
	}
	if c, ok := cats[code]; !ok || !c.Active {
		return nil, civicgrid.Errorf(civicgrid.ENOTFOUND, "service_code %s not found", code)
	}
	lat, lng, building, err := s.o311Location(r)
	if err != nil {
		return nil, err
	}
	if b := o311Param(r, "attribute[building_code]"); b != "" {
		if building != "" && b != building {
			return nil, civicgrid.Errorf(civicgrid.EINVALID, "attribute[building_code] %s is not the building %s that address_id or address_string names", b, building)
		}
		building = b
	}
	name := personName(o311Param(r, "first_name"), o311Param(r, "last_name"))
	rep := casework.Report{Category: code, Description: r.PostForm.Get("description"), Lat: lat, Lng: lng, Channel: civicgrid.ChannelOpen311,
		BuildingCode: building, CallerName: name, CallerPhone: o311Param(r, "phone"), MediaURL: o311Param(r, "media_url")}
	actor := civicgrid.Actor{Via: "open311", TokenID: keyID, Name: "open311 " + keyName}
	in, err := s.cases.Report(r.Context(), actor, rep, idem)
	if err != nil {
		return nil, err
	}
	return []o311Created{{ServiceRequestID: strconv.FormatInt(in.Case.ID, 10),
		ServiceNotice: "expected response by " + o311Time(in.Case.RespondBy)}}, nil
}

// o311Location reads where a request is: lat and long, or a building of
// the registry named by address_id (its code) or address_string (its name,
// possibly after the names of the areas above it). It returns the point and
// the building's code when one was named.
func (s *Server) o311Location(r *http.Request) (lat, lng float64, building string, err error) {
	latS, lngS := o311Param(r, "lat"), o311Param(r, "long")
	addrID, addr := o311Param(r, "address_id"), o311Param(r, "address_string")
	var b civicgrid.Area
	switch {
	case latS != "" || lngS != "":
		lat, err1 := strconv.ParseFloat(latS, 64)
		lng, err2 := strconv.ParseFloat(lngS, 64)
		if err1 != nil || err2 != nil {
			return 0, 0, "", civicgrid.Errorf(civicgrid.EINVALID, "lat and long must both be decimal degrees (WGS-84)")
		}
		return lat, lng, "", nil
	case addrID != "":
		if civicgrid.LevelOfCode(addrID) != civicgrid.LevelBuilding {
			return 0, 0, "", civicgrid.Errorf(civicgrid.EINVALID, "address_id %q is not a building code (19 digits)", addrID)
		}
		if b, err = s.store.AreaByCode(r.Context(), addrID); civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND || err == nil && b.Level != civicgrid.LevelBuilding {
			return 0, 0, "", civicgrid.Errorf(civicgrid.EINVALID, "address_id: no building has the code %s", addrID)
		} else if err != nil {
			return 0, 0, "", err
		}
	case addr != "":
		if b, err = s.o311Address(r.Context(), addr); err != nil {
			return 0, 0, "", err
		}
	default:
		return 0, 0, "", civicgrid.Errorf(civicgrid.EINVALID, "a location is required: lat and long, address_string or address_id")
	}
	if b.Geometry == nil {
		return 0, 0, "", civicgrid.Errorf(civicgrid.EINVALID, "building %s has no location in the registry; send lat and long", b.Code)
	}
	p, _ := planar.CentroidArea(b.Geometry)
	return p.Lat(), p.Lon(), b.Code, nil
}

// o311Address finds the building an address names: the one whose registry
// name is the longest ending of the address ("武汉市江岸区…社区12栋" ends
// with the building "…社区12栋"). No match, or several buildings of that
// name, is a clear refusal.
func (s *Server) o311Address(ctx context.Context, addr string) (civicgrid.Area, error) {
	runes := []rune(addr)
	if len(runes) > 200 {
		return civicgrid.Area{}, civicgrid.Errorf(civicgrid.EINVALID, "address_string: at most 200 characters")
	}
	var endings []string
	for i := range runes {
		if e := strings.TrimSpace(string(runes[i:])); e != "" && !slices.Contains(endings, e) {
			endings = append(endings, e)
		}
	}
	found, err := s.open311.BuildingsNamed(ctx, endings)
	if err != nil {
		return civicgrid.Area{}, err
	}
	var best []civicgrid.Area
	for _, b := range found {
		switch {
		case len(best) == 0 || len(b.Name) > len(best[0].Name):
			best = []civicgrid.Area{b}
		case len(b.Name) == len(best[0].Name):
			best = append(best, b)
		}
	}
	switch len(best) {
	case 0:
		return civicgrid.Area{}, civicgrid.Errorf(civicgrid.EINVALID, "address_string %q names no building in the registry; send lat and long, or address_id (a building code)", addr)
	case 1:
		return best[0], nil
	}
	return civicgrid.Area{}, civicgrid.Errorf(civicgrid.EINVALID, "address_string %q names %d buildings called %s (%s, %s, …); send address_id (a building code) or lat and long",
		addr, len(best), best[0].Name, best[0].Code, best[1].Code)
}

// personName joins a first and last name: family name first for Chinese
// names (王 + 晓明 → 王晓明), "First Last" otherwise.
func personName(first, last string) string {
	for _, r := range last + first {
		if r > 0x2e80 {
			return last + first
		}
	}
	return strings.TrimSpace(first + " " + last)
}
