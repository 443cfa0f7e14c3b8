package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/photo"
)

// maxCaseBody bounds JSON bodies of case requests (4,000 characters of
// Chinese text are 12 KB in UTF-8).
const maxCaseBody = 64 << 10

// caseRoutes registers the case API: intake, reads, and one route per step
// of the state machine, each guarded by the step's permission.
func (s *Server) caseRoutes(public func(string, string, http.HandlerFunc), guarded func(string, string, civicgrid.Action, http.HandlerFunc)) {
	public("GET", "/api/v1/categories", s.handleCategories)
	guarded("PUT", "/api/v1/categories/{code}", civicgrid.ActionManageCategories, s.handlePutCategory)
	guarded("POST", "/api/v1/cases", civicgrid.ActionReportCase, s.handleReport)
	if s.cfg.Photos != nil {
		guarded("POST", "/api/v1/photos", civicgrid.ActionReportCase, s.handleUploadPhoto)
		public("GET", "/photos/{ref}", s.handlePhoto)
	}
	guarded("GET", "/api/v1/cases", civicgrid.ActionReadCase, s.handleListCases)
	guarded("GET", "/api/v1/cases.csv", civicgrid.ActionReadCase, s.handleCasesCSV)
	guarded("GET", "/api/v1/cases/nearby", civicgrid.ActionReportCase, s.handleNearby)
	guarded("GET", "/api/v1/cases/stream", civicgrid.ActionReadCase, s.handleCaseStream)
	guarded("GET", "/api/v1/cases/{id}", civicgrid.ActionReadCase, s.handleCase)
	guarded("GET", "/api/v1/cases/{id}/events", civicgrid.ActionReadCase, s.handleCaseEvents)
	guarded("POST", "/api/v1/cases/{id}/unmask", civicgrid.ActionUnmaskCase, s.handleUnmaskCase)
	guarded("GET", "/api/v1/indicators", civicgrid.ActionReadIndicators, s.handleIndicators(false))
	guarded("GET", "/api/v1/indicators/by-category", civicgrid.ActionReadIndicators, s.handleIndicators(true))
	guarded("GET", "/api/v1/indicators/trend", civicgrid.ActionReadIndicators, s.handleIndicatorTrend)
	for _, t := range civicgrid.CaseTransitions {
		guarded("POST", "/api/v1/cases/{id}/"+string(t.Action), t.Permission, s.handleCaseStep(t.Action))
	}
}

// decodeJSON reads a strict JSON body of at most max bytes.
func decodeJSON(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, max)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if err == io.EOF {
			return civicgrid.Errorf(civicgrid.EINVALID, "empty request body: send a JSON object")
		}
		return bodyError(err)
	}
	if dec.More() {
		return civicgrid.Errorf(civicgrid.EINVALID, "malformed request body: more than one JSON value")
	}
	return nil
}

func (s *Server) handleCategories(w http.ResponseWriter, r *http.Request) {
	cats, err := s.cases.Categories(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": cats})
}

func (s *Server) handlePutCategory(w http.ResponseWriter, r *http.Request) {
	var c civicgrid.Category
	if err := decodeJSON(w, r, maxCaseBody, &c); err != nil {
		writeError(w, r, err)
		return
	}
	if c.Code == "" {
		c.Code = r.PathValue("code")
	}
	if c.Code != r.PathValue("code") {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "code %q in the body differs from %q in the path", c.Code, r.PathValue("code")))
		return
	}
	if err := s.cases.PutCategory(r.Context(), actorFrom(r), c); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// idempotency reads the Idempotency-Key header of a create request; keys
// are the caller's own.
func idempotency(r *http.Request, body []byte) (*civicgrid.Idempotency, error) {
	a := actorFrom(r)
	scope := "user:" + strconv.FormatInt(a.UserID, 10)
	if a.Via == "token" {
		scope = "token:" + strconv.FormatInt(a.TokenID, 10)
	}
	return idempotencyKey(r, scope, body)
}

// idempotencyKey reads the Idempotency-Key header of a create request made
// under scope, with the body that a retry must repeat.
func idempotencyKey(r *http.Request, scope string, body []byte) (*civicgrid.Idempotency, error) {
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" {
		return nil, nil
	}
	if len(key) > 200 {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "Idempotency-Key: at most 200 characters")
	}
	sum := sha256.Sum256(body)
	return &civicgrid.Idempotency{Scope: scope, Key: key, RequestHash: hex.EncodeToString(sum[:])}, nil
}

// handleReport: POST /api/v1/cases takes a report (JSON). With an
// Idempotency-Key a retry returns the first case (200, "existing": true).
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCaseBody))
	if err != nil {
		writeError(w, r, bodyError(err))
		return
	}
	var rep casework.Report
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		writeError(w, r, bodyError(err))
		return
	}
	idem, err := idempotency(r, body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	in, err := s.cases.Report(r.Context(), actorFrom(r), rep, idem)
	if err != nil {
		writeError(w, r, err)
		return
	}
	status := http.StatusCreated
	if in.Existing {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/api/v1/cases/"+strconv.FormatInt(in.Case.ID, 10))
	writeJSON(w, status, in)
}

func (s *Server) handleNearby(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lat, err1 := strconv.ParseFloat(q.Get("lat"), 64)
	lng, err2 := strconv.ParseFloat(q.Get("lng"), 64)
	if err1 != nil || err2 != nil {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "lat and lng are required numbers"))
		return
	}
	cs, err := s.cases.Nearby(r.Context(), q.Get("category"), lat, lng)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": cs})
}

// listQuery reads the filters of a case list (mine, within, status,
// category, since, until, overdue), shared by the JSON list and the CSV
// export.
func listQuery(q url.Values) (casework.ListQuery, error) {
	lq := casework.ListQuery{Mine: q.Get("mine"), Within: q.Get("within"), Overdue: q.Get("overdue") == "true"}
	for _, st := range splitParam(q.Get("status")) {
		lq.Status = append(lq.Status, civicgrid.CaseStatus(st))
	}
	lq.Category = splitParam(q.Get("category"))
	for name, dst := range map[string]*time.Time{"since": &lq.Since, "until": &lq.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return lq, civicgrid.Errorf(civicgrid.EINVALID, "%s: want an RFC 3339 time", name)
			}
			*dst = t
		}
	}
	return lq, nil
}

func (s *Server) handleListCases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lq, err := listQuery(q)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lq.Limit, lq.After, err = page(q, 100, "case"); err != nil {
		writeError(w, r, err)
		return
	}
	views, err := s.cases.List(r.Context(), actorFrom(r), lq)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": views})
}

func splitParam(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

func (s *Server) handleCase(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.cases.Get(r.Context(), actorFrom(r), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleCaseEvents(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	evs, err := s.cases.History(r.Context(), actorFrom(r), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
}

// handleUnmaskCase: POST /api/v1/cases/{id}/unmask with a reason shows the
// reporter's name and phone, after logging the look.
func (s *Server) handleUnmaskCase(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req unmaskRequest
	if err := decodeJSON(w, r, maxAuthBody, &req); err != nil {
		writeError(w, r, err)
		return
	}
	reason := strings.TrimSpace(req.Reason)
	if n := len([]rune(reason)); n < 2 || n > 200 {
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "reason: say in 2 to 200 characters why you need the reporter's name and phone"))
		return
	}
	c, err := s.cases.Unmask(r.Context(), actorFrom(r), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if c.ReporterID != 0 && c.ReporterName == "" {
		if u, err := s.store.UserByID(r.Context(), c.ReporterID); err == nil {
			c.ReporterName, c.ReporterPhone = u.Name, u.Phone
		}
	}
	ev := s.event(r, civicgrid.SecurityEvent{Kind: civicgrid.EventUnmask, TargetUserID: c.ReporterID, AreaCode: c.GridCode,
		Detail: "case " + strconv.FormatInt(c.ID, 10) + ": " + reason})
	if err := s.store.AppendSecurityEvent(r.Context(), ev); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": c.ID, "reporter_name": c.ReporterName, "reporter_phone": c.ReporterPhone})
}

// handleCaseStep: POST /api/v1/cases/{id}/{action}. An action the case's
// status does not allow is 409 naming the ones it does.
func (s *Server) handleCaseStep(action civicgrid.CaseAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			writeError(w, r, err)
			return
		}
		var st casework.Step
		if r.ContentLength != 0 {
			if err := decodeJSON(w, r, maxCaseBody, &st); err != nil {
				writeError(w, r, err)
				return
			}
		}
		c, err := s.cases.Act(r.Context(), actorFrom(r), id, action, st)
		if err != nil {
			writeError(w, r, err)
			return
		}
		v, err := s.cases.Get(r.Context(), actorFrom(r), c.ID)
		if civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND {
			// The step took the case out of the actor's sight (a return).
			writeJSON(w, http.StatusOK, map[string]any{"id": c.ID, "status": c.Status})
			return
		} else if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// handleIndicators: GET /api/v1/indicators?scope=CODE&from=DATE&to=DATE
// [&category=C] — the rates of an area over report days (default: the
// last 30 days), from the rollups.
func (s *Server) handleIndicators(byCategory bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		iq, err := s.indicatorQuery(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if byCategory {
			out, err := s.cases.IndicatorsByCategory(r.Context(), actorFrom(r), iq)
			if err != nil {
				writeError(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"categories": out})
			return
		}
		in, err := s.cases.Indicators(r.Context(), actorFrom(r), iq)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, in)
	}
}

// indicatorQuery reads scope (default: the actor's first), from and to
// (default: the last 30 days) and category.
func (s *Server) indicatorQuery(r *http.Request) (casework.IndicatorQuery, error) {
	q := r.URL.Query()
	iq := casework.IndicatorQuery{Scope: q.Get("scope"), Category: q.Get("category")}
	if iq.Scope == "" {
		if scopes := actorFrom(r).Scopes(civicgrid.ActionReadIndicators); len(scopes) > 0 {
			iq.Scope = scopes[0]
		}
	}
	today := s.now().In(civicgrid.Beijing)
	iq.To, iq.From = today, today.AddDate(0, 0, -29)
	for name, dst := range map[string]*time.Time{"from": &iq.From, "to": &iq.To} {
		if v := q.Get(name); v != "" {
			t, err := time.ParseInLocation(time.DateOnly, v, civicgrid.Beijing)
			if err != nil {
				return iq, civicgrid.Errorf(civicgrid.EINVALID, "%s: want a date such as 2026-11-01", name)
			}
			*dst = t
		}
	}
	return iq, nil
}

// handleIndicatorTrend: GET /api/v1/indicators/trend?scope=&from=&to=
// [&category=][&bucket=day|week|month] — the indicators bucket by bucket
// (by default days up to a month, weeks up to half a year, else months).
func (s *Server) handleIndicatorTrend(w http.ResponseWriter, r *http.Request) {
	iq, err := s.indicatorQuery(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.cases.IndicatorTrend(r.Context(), actorFrom(r), iq, r.URL.Query().Get("bucket"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// handleUploadPhoto: POST /api/v1/photos takes one image (the body itself,
// or the "photo" field of a multipart form) and answers with the refs to
// put in a report or a step. Only the re-encoded, metadata-free version is
// kept.
func (s *Server) handleUploadPhoto(w http.ResponseWriter, r *http.Request) {
	body := http.MaxBytesReader(w, r.Body, photo.DefaultLimits.MaxBytes+64<<10)
	var src io.Reader = body
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			writeError(w, r, bodyError(err))
			return
		}
		f, _, err := r.FormFile("photo")
		if err != nil {
			writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "send the image in the form field \"photo\""))
			return
		}
		defer f.Close()
		src = f
	}
	saved, err := s.cfg.Photos.Save(r.Context(), src)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || errors.Is(err, photo.ErrTooLarge):
		writeError(w, r, civicgrid.Errorf(civicgrid.ETOOLARGE, "photo: at most %d MiB", photo.DefaultLimits.MaxBytes>>20))
		return
	case errors.Is(err, photo.ErrNotAnImage), errors.Is(err, photo.ErrTooManyPixel), errors.Is(err, photo.ErrCorrupt):
		writeError(w, r, civicgrid.Errorf(civicgrid.EINVALID, "photo: %v", err))
		return
	case errors.As(err, new(net.Error)): // the upload stalled past the read timeout
		writeError(w, r, bodyError(err))
		return
	case err != nil:
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, saved)
}

// handlePhoto: GET /photos/{ref} serves a stored photo. Refs are content
// hashes, so a photo never changes and may be cached for good.
func (s *Server) handlePhoto(w http.ResponseWriter, r *http.Request) {
	p, err := s.cfg.Photos.Path(r.PathValue("ref"))
	if err != nil {
		writeError(w, r, civicgrid.Errorf(civicgrid.ENOTFOUND, "no photo %q", r.PathValue("ref")))
		return
	}
	f, err := os.Open(p)
	if err != nil {
		writeError(w, r, civicgrid.Errorf(civicgrid.ENOTFOUND, "no photo %q", r.PathValue("ref")))
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, "", time.Time{}, f)
}
