package casework

import (
	"context"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/photo"
)

// Report is a new case as it comes in.
type Report struct {
	Category     string   `json:"category"`
	Description  string   `json:"description"`
	Lat          float64  `json:"lat"`
	Lng          float64  `json:"lng"`
	Address      string   `json:"address"`
	BuildingCode string   `json:"building_code"`
	Channel      string   `json:"channel"`
	Photos       []string `json:"photos"`
	// A caller's name and phone, for hotline entries by staff.
	CallerName  string `json:"caller_name"`
	CallerPhone string `json:"caller_phone"`
	// MediaURL is an https link to a picture kept elsewhere (Open311's
	// media_url); it is recorded with the report, never fetched.
	MediaURL string `json:"-"`
	// SelfHandled: a grid worker's patrol report of a problem they fixed
	// on the spot, with HandledNote saying what they did. The report and
	// the self-handling are stored together; the report's photos are the
	// evidence.
	SelfHandled bool   `json:"self_handled"`
	HandledNote string `json:"handled_note"`
}

// Intake is the answer to a report.
type Intake struct {
	Case civicgrid.Case `json:"case"`
	// Existing is true when an Idempotency-Key matched an earlier report:
	// Case is that report and nothing new was made.
	Existing bool `json:"existing"`
	// Duplicates are open cases of the same category nearby, newest first:
	// the reporter may join one ("me too") instead.
	Duplicates []civicgrid.Case `json:"likely_duplicates"`
}

// photoProblem says what is wrong with a photo ref ("" if nothing).
func (s *Service) photoProblem(ref string) string {
	var has func(string) bool
	if s.cfg.Photos != nil {
		has = s.cfg.Photos.Has
	}
	return photo.RefProblem(ref, has)
}

// Report validates and stores a new case. Nothing is written unless every
// check passes.
func (s *Service) Report(ctx context.Context, actor civicgrid.Actor, r Report, idem *civicgrid.Idempotency) (Intake, error) {
	nc, cat, err := s.prepareReport(ctx, actor, r)
	if err != nil {
		return Intake{}, err
	}
	c, ev, then, now := nc.Case, nc.Event, nc.Then, nc.Event.At
	// The duplicates are looked up before the new case exists.
	dups, err := s.duplicates(ctx, cat, r.Lat, r.Lng, now)
	if err != nil {
		return Intake{}, err
	}
	stored, existing, err := s.store.CreateCase(ctx, c, ev, idem, then...)
	if err != nil {
		return Intake{}, err
	}
	if !existing {
		for _, e := range append([]civicgrid.CaseEvent{ev}, then...) {
			s.publish(stored, e)
		}
	}
	return Intake{Case: stored, Existing: existing, Duplicates: dups}, nil
}

// prepareReport checks a report and makes the new case with its first
// event (and the steps taken with it), at the service's clock, ready to
// store.
func (s *Service) prepareReport(ctx context.Context, actor civicgrid.Actor, r Report) (civicgrid.NewCase, civicgrid.Category, error) {
	if actor.Anonymous() {
		return civicgrid.NewCase{}, civicgrid.Category{}, civicgrid.Errorf(civicgrid.EUNAUTHORIZED, "log in to report a problem")
	}
	var probs []civicgrid.Problem
	bad := func(kind, detail string) {
		probs = append(probs, civicgrid.Problem{Index: -1, Kind: kind, Detail: detail})
	}

	r.Description = strings.TrimSpace(r.Description)
	if !utf8.ValidString(r.Description) {
		bad("description", "description is not valid UTF-8")
	} else if n := utf8.RuneCountInString(r.Description); n > s.cfg.MaxDescription {
		bad("description", "description has "+itoa(n)+" characters; at most "+itoa(s.cfg.MaxDescription))
	}
	if r.Channel == "" {
		r.Channel = civicgrid.ChannelApp
	}
	if !slices.Contains([]string{civicgrid.ChannelApp, civicgrid.ChannelPatrol, civicgrid.ChannelHotline, civicgrid.ChannelOpen311}, r.Channel) {
		bad("channel", "channel must be app, patrol, hotline or open311")
	}
	if len(r.Photos) > 9 {
		bad("photos", "at most 9 photos")
	}
	for _, p := range r.Photos {
		if msg := s.photoProblem(p); msg != "" {
			bad("photos", msg)
		}
	}
	if n := utf8.RuneCountInString(r.Address); n > 200 {
		bad("address", "address: at most 200 characters")
	}
	if r.MediaURL != "" {
		if u, err := url.Parse(r.MediaURL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(r.MediaURL) > 2000 {
			bad("media_url", "media_url: an https:// URL without credentials, at most 2,000 characters")
		}
	}
	if r.BuildingCode != "" {
		if civicgrid.LevelOfCode(r.BuildingCode) != civicgrid.LevelBuilding {
			bad("building_code", "building_code "+quote(r.BuildingCode)+" is not a building code (19 digits)")
		} else if b, err := s.store.AreaByCode(ctx, r.BuildingCode); civicgrid.ErrorCode(err) == civicgrid.ENOTFOUND || err == nil && b.Level != civicgrid.LevelBuilding {
			bad("building_code", "no building has the code "+r.BuildingCode)
		} else if err != nil {
			return civicgrid.NewCase{}, civicgrid.Category{}, err
		}
	}
	cat, err := s.category(ctx, r.Category)
	if err != nil {
		if civicgrid.ErrorCode(err) != civicgrid.EINVALID {
			return civicgrid.NewCase{}, civicgrid.Category{}, err
		}
		bad("category", civicgrid.ErrorMessage(err))
	}
	var loc civicgrid.Location
	if lerr := checkPoint(r.Lng, r.Lat); lerr != nil {
		bad("location", civicgrid.ErrorMessage(lerr))
	} else if loc, err = s.locator.Locate(r.Lng, r.Lat); err != nil {
		if civicgrid.ErrorCode(err) == civicgrid.EOUTSIDE {
			return civicgrid.NewCase{}, civicgrid.Category{}, err
		}
		bad("location", civicgrid.ErrorMessage(err))
	}
	if r.BuildingCode != "" && loc.Grid.Code != "" && !strings.HasPrefix(r.BuildingCode, loc.Grid.Code) {
		bad("building_code", "building "+r.BuildingCode+" is not in grid "+loc.Grid.Code+" where the point lies")
	}
	if len(probs) > 0 {
		return civicgrid.NewCase{}, civicgrid.Category{}, &civicgrid.Error{Code: civicgrid.EINVALID, Message: "the report has problems", Problems: probs}
	}

	c := civicgrid.Case{Category: cat.Code, Status: civicgrid.StatusReported, Channel: r.Channel, Description: r.Description,
		Lat: r.Lat, Lng: r.Lng, Address: strings.TrimSpace(r.Address), GridCode: loc.Grid.Code, BuildingCode: r.BuildingCode,
		Photos: r.Photos}
	if err := civicgrid.Authorize(actor, civicgrid.ActionReportCase, c.Object()); err != nil {
		return civicgrid.NewCase{}, civicgrid.Category{}, err
	}
	switch r.Channel {
	case civicgrid.ChannelPatrol:
		if err := civicgrid.Authorize(actor, civicgrid.ActionSelfHandleCase, c.Object()); err != nil {
			return civicgrid.NewCase{}, civicgrid.Category{}, civicgrid.Errorf(civicgrid.EFORBIDDEN, "patrol reports are for the grid worker of grid %s", c.GridCode)
		}
	case civicgrid.ChannelHotline:
		if err := civicgrid.Authorize(actor, civicgrid.ActionTriageCase, c.Object()); err != nil {
			return civicgrid.NewCase{}, civicgrid.Category{}, civicgrid.Errorf(civicgrid.EFORBIDDEN, "hotline entries are made by community or street staff of the area")
		}
		c.ReporterName, c.ReporterPhone = strings.TrimSpace(r.CallerName), strings.TrimSpace(r.CallerPhone)
	case civicgrid.ChannelOpen311:
		if actor.Via != "open311" {
			return civicgrid.NewCase{}, civicgrid.Category{}, civicgrid.Errorf(civicgrid.EINVALID, "channel open311 is set by the Open311 endpoint")
		}
		c.ReporterName, c.ReporterPhone = strings.TrimSpace(r.CallerName), strings.TrimSpace(r.CallerPhone)
	}
	if r.SelfHandled && r.Channel != civicgrid.ChannelPatrol {
		return civicgrid.NewCase{}, civicgrid.Category{}, civicgrid.Errorf(civicgrid.EINVALID, "self_handled: only a patrol report (channel patrol) is handled on the spot as it is filed")
	}
	if actor.Via == "open311" && r.Channel != civicgrid.ChannelOpen311 {
		return civicgrid.NewCase{}, civicgrid.Category{}, civicgrid.Errorf(civicgrid.EINVALID, "Open311 clients report on channel open311")
	}
	if r.Channel != civicgrid.ChannelHotline && actor.Via != "open311" {
		c.ReporterID = actor.UserID
	}
	now := s.now()
	c.CreatedAt, c.UpdatedAt = now, now
	if c.RespondBy, err = s.calendar.Deadline(now, cat.RespondWithin); err != nil {
		return civicgrid.NewCase{}, civicgrid.Category{}, err
	}
	c.NextDeadline = c.RespondBy
	ev := civicgrid.CaseEvent{At: now, ActorID: actor.UserID, Actor: actorLabel(actor), Action: civicgrid.CaseReport,
		To: civicgrid.StatusReported, Note: "", Attachments: r.Photos, Data: map[string]string{"channel": r.Channel,
			civicgrid.DataCategory: cat.Code, civicgrid.DataGrid: c.GridCode}}
	if r.MediaURL != "" {
		ev.Data[civicgrid.DataMediaURL] = r.MediaURL
	}
	// Handled on the spot: the self-handle step is checked as Act checks
	// it, on the case as it is about to be stored, and stored with it.
	var then []civicgrid.CaseEvent
	if r.SelfHandled {
		cs, evs, err := s.prepare(ctx, actor, c, civicgrid.CaseSelfHandle, Step{Note: r.HandledNote, Photos: r.Photos})
		if err != nil {
			return civicgrid.NewCase{}, civicgrid.Category{}, err
		}
		c, then = cs[0], evs
	}
	return civicgrid.NewCase{Case: c, Event: ev, Then: then}, cat, nil
}

// Nearby returns the open cases of a category near a point that a new report
// would likely duplicate, as the public may see them.
func (s *Service) Nearby(ctx context.Context, category string, lat, lng float64) ([]civicgrid.Case, error) {
	cat, err := s.category(ctx, category)
	if err != nil {
		return nil, err
	}
	if err := checkPoint(lng, lat); err != nil {
		return nil, err
	}
	return s.duplicates(ctx, cat, lat, lng, s.now())
}

func (s *Service) duplicates(ctx context.Context, cat civicgrid.Category, lat, lng float64, now time.Time) ([]civicgrid.Case, error) {
	if cat.DuplicateRadiusM <= 0 || cat.DuplicateHours <= 0 {
		return []civicgrid.Case{}, nil
	}
	ids, err := s.recent.near(ctx, s.store, cat, lat, lng, now)
	if err != nil || len(ids) == 0 {
		return []civicgrid.Case{}, err
	}
	// The store has the last word: the case may have been closed meanwhile.
	cs, err := s.store.ListCases(ctx, civicgrid.CaseFilter{All: true, IDs: ids, Category: []string{cat.Code}, Status: openStatuses,
		Since: now.Add(-time.Duration(cat.DuplicateHours) * time.Hour), Limit: 20})
	if err != nil {
		return nil, err
	}
	out := []civicgrid.Case{}
	for _, c := range cs {
		if distanceM(lat, lng, c.Lat, c.Lng) <= cat.DuplicateRadiusM {
			out = append(out, c.Public())
		}
	}
	return out, nil
}

// distanceM is the great-circle distance in metres (haversine).
func distanceM(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6_371_008.8
	rad := math.Pi / 180
	dLat, dLng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

func checkPoint(lng, lat float64) error {
	if math.IsNaN(lng) || math.IsNaN(lat) || math.IsInf(lng, 0) || math.IsInf(lat, 0) || math.Abs(lat) > 90 || math.Abs(lng) > 180 {
		return civicgrid.Errorf(civicgrid.EINVALID, "lat/lng must be a WGS-84 point (lat −90…90, lng −180…180)")
	}
	if lat == 0 && lng == 0 {
		return civicgrid.Errorf(civicgrid.EINVALID, "give the location: lat and lng are missing")
	}
	return nil
}

func actorLabel(a civicgrid.Actor) string {
	if a.Via == "open311" {
		return a.Name
	}
	return a.Label()
}

func itoa(n int) string { return strconv.Itoa(n) }

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return `"` + s + `"`
}

// WarmDuplicates reads every active category's duplicate window into
// memory, one category after another. A server calls it in the background at
// start: reports of a category read meanwhile wait for that category only,
// as they would without it.
func (s *Service) WarmDuplicates(ctx context.Context) error {
	cats, err := s.store.Categories(ctx)
	if err != nil {
		return err
	}
	return s.recent.warm(ctx, s.store, cats, s.now())
}
