package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/areaio"
	"github.com/civicgrid/civicgrid/care"
	"github.com/civicgrid/civicgrid/casework"
	"github.com/civicgrid/civicgrid/cogovern"
	"github.com/civicgrid/civicgrid/democity"
	"github.com/civicgrid/civicgrid/internal/metrics"
	"github.com/civicgrid/civicgrid/lectures"
	"github.com/civicgrid/civicgrid/locate"
	"github.com/civicgrid/civicgrid/notices"
	"github.com/civicgrid/civicgrid/notify"
	"github.com/civicgrid/civicgrid/photo"
	"github.com/civicgrid/civicgrid/search"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sms"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/volunteering"
	"github.com/civicgrid/civicgrid/warning"
	"github.com/civicgrid/civicgrid/web"
	"github.com/civicgrid/civicgrid/webhook"
	"github.com/civicgrid/civicgrid/webpush"
	"github.com/civicgrid/civicgrid/workcal"
)

// cmdServe runs `serve`, or `demo` when demo is set: the same server, after
// seeding the demo city into an empty store.
// demoCommunityPhone is the demo city's made-up community phone number.
const demoCommunityPhone = "027-12345678"

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, demo bool) error {
	name := "serve"
	if demo {
		name = "demo"
	}
	fs, o := newServeFlags(name, stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	source, err := layerSettings(fs, o.conf, os.Getenv)
	if err != nil {
		return err
	}
	logger, err := o.logOpts.logger(stderr)
	if err != nil {
		return err
	}
	if err := o.metricsOpts.check(); err != nil {
		return err
	}
	basemap, err := web.NewProvider(*o.mapProvider, *o.mapKey, *o.tileURL, *o.tileAttribution)
	if err != nil {
		return err
	}
	if demo && o.auth.production {
		return fmt.Errorf("demo: --production makes no sense for the demo city (its accounts share a published password)")
	}
	if *o.conf.check {
		return o.check(fs, source, stdout)
	}
	slog.SetDefault(logger)
	met := metrics.New()
	if demo && *o.relayPhone == "" {
		*o.relayPhone = demoRelayPhone
	}
	if demo && *o.officeAddress == "" {
		*o.officeAddress = demoOfficeAddress
	}
	if demo && *o.communityPhone == "" {
		*o.communityPhone = demoCommunityPhone
	}
	start := time.Now()
	db, err := o.data.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()

	authCfg, sender, provider, err := o.auth.build(ctx)
	if err != nil {
		return err
	}
	var demoToken, demoKey string
	if demo {
		if demoToken, err = seedDemo(ctx, db, *o.seed, stdout); err != nil {
			return err
		}
		if demoKey, _, err = db.CreateOpen311Key(ctx, "demo", civicgrid.SecurityEvent{Kind: civicgrid.EventOpen311KeyCreated, Actor: "cli"}); err != nil {
			return err
		}
	}
	locator, err := locate.New(ctx, db, locate.Options{NearestMaxMeters: *o.nearest})
	if err != nil {
		return err
	}
	// The shipped national schedule with the city's own days stored over it.
	shipped, err := workcal.ChinaConfig()
	if err != nil {
		return err
	}
	calendar, err := workcal.NewLive(shipped)
	if err != nil {
		return err
	}
	if err := server.RefreshCalendar(ctx, db, calendar); err != nil {
		return fmt.Errorf("working calendar: %w", err)
	}
	photos, err := photo.NewStore(filepath.Join(o.data.dir(), "photos"), photo.DefaultLimits)
	if err != nil {
		return err
	}
	db.ObserveIntake(met.IntakeBatch)
	photos.ObserveProcessing(met.Photo)
	for name, pool := range db.Pools() {
		met.DBPool(name, pool)
	}
	cases := casework.New(casework.Config{ReopenWindow: *o.reopenWindow, Photos: photos, WorkPhone: *o.relayPhone, Escalated: met.Escalated}, db, db, locator, calendar, nil)
	cases.OnEvent(func(_ civicgrid.Case, ev civicgrid.CaseEvent) { met.CaseEvent(string(ev.Action)) })
	if err := cases.SeedCatalogue(ctx); err != nil {
		return fmt.Errorf("case catalogue: %w", err)
	}
	if demo {
		// Nothing serves yet and the store has no case: a crash while the
		// past is made leaves a store to throw away, so commits need not
		// wait for the disk one by one (Unsynced syncs them all at the end).
		if err := db.Unsynced(ctx, func() error {
			return seedDemoPast(ctx, db, locator, calendar, photos, *o.pastDays, *o.seed, stdout)
		}); err != nil {
			return err
		}
	}
	cogovNow := time.Now
	if demo && *o.cogovClock != "" {
		cogovNow = fileClock(*o.cogovClock)
	}
	if *o.supportShare < 0 || *o.supportShare > 100 {
		return fmt.Errorf("--support-share is a percentage of households, 0 (off) to 100, not %d", *o.supportShare)
	}
	cogov := cogovern.New(cogovern.Config{SupportThreshold: *o.supportThreshold, SupportShare: *o.supportShare, Calendar: calendar, Now: cogovNow}, db, db)
	cogov.SetGrants(db)
	cogov.SetProjectDeps(cogovern.ProjectDeps{Photos: photos, Documents: photos, Cases: func(ctx context.Context, a civicgrid.Actor, id int64) error {
		_, err := cases.Get(ctx, a, id)
		return err
	}})
	if demo {
		if err := seedDemoCogov(ctx, db, cogov); err != nil {
			return err
		}
		if err := seedDemoElection(ctx, db, cogov); err != nil {
			return err
		}
		if err := seedDemoProjects(ctx, db, cogov); err != nil {
			return err
		}
	}
	volunteer := volunteering.New(volunteering.Config{SignInRadiusM: *o.signInRadius, RoundMinutes: *o.roundMinutes, ClaimLimit: *o.claimLimit,
		RequireInsurance:   *o.claimInsured,
		MemberFloorMinutes: *o.timeBankFloor, TakeWithin: *o.takeWithin, People: db, Grants: db,
		WindowTolerance: *o.windowTolerance, WindowTolerancePct: *o.windowTolerancePct}, db, db)
	if demo {
		if err := seedDemoVolunteer(ctx, db, volunteer); err != nil {
			return err
		}
	}
	lecture := lectures.New(lectures.Config{CheckInRadiusM: *o.signInRadius}, db, db)
	lecture.SetTeams(volunteer) // a lecture names its lecture team (宣讲团) through the volunteer service
	if demo {
		if err := seedDemoLectures(ctx, db, lecture, volunteer); err != nil {
			return err
		}
	}
	finder := search.New(db)
	finder.SetTeams(volunteer) // a team's notice is found by its members, asked of the volunteer service
	warn := warning.New(warning.Config{}, db, db, cases)
	cases.OnEvent(func(c civicgrid.Case, ev civicgrid.CaseEvent) {
		if ev.Action == civicgrid.CaseReport {
			warn.Reported(c.GridCode, c.Category, ev.At)
		}
	})
	careSvc := care.New(care.Config{SignInRadiusM: *o.signInRadius, Retention: *o.careRetention, Photos: photos, Requests: volunteer}, db, db, db, cases)
	volunteer.SetLinks(cases, careSvc) // case ↔ request and care → request links, through the services
	if demo {
		if err := seedDemoCare(ctx, db, careSvc); err != nil {
			return err
		}
	}
	// Notifications are written in the UI's words.
	texts, err := web.LoadCatalogues()
	if err != nil {
		return err
	}
	var pusher notify.PushSender
	if *o.pushOn {
		if pusher, err = newPushSender(filepath.Join(o.data.dir(), "vapid.key"), *o.pushSubject, *o.publicURL, *o.pushPrivate); err != nil {
			return err
		}
	}
	notes := notify.New(notify.Config{Texts: texts, SMS: sender, Push: pusher, SMSPerHour: *o.smsPerHour, BaseURL: *o.publicURL}, db, nil)
	notes.AddSource(cogov.NotifySource())
	notes.AddSource(cogov.ProjectNotifySource())
	notes.AddSource(lecture.NotifySource())
	notes.AddSource(careSvc.NotifySource())
	notes.AddSource(volunteer.NotifySource())
	// The webhook key derives every hook's signing secret and seals the
	// group robots' secrets; it stays out of the database so a copy of the
	// database alone cannot forge deliveries.
	hookKey, err := webhook.LoadKey(filepath.Join(o.data.dir(), "webhook.key"))
	if err != nil {
		return err
	}
	nts, err := notices.New(notices.Config{Key: hookKey, AllowPrivate: *o.robotPrivate, RemindInterval: *o.remindInterval, BaseURL: *o.publicURL, Photos: photos, Documents: photos, SMSCost: notes.SMSCost,
		CaseLog: db, Requests: volunteer, Teams: volunteer, // a notice to a team asks the volunteer service for its members
		Audit: func(ctx context.Context, ev civicgrid.SecurityEvent) {
			if err := db.AppendSecurityEvent(ctx, ev); err != nil {
				slog.ErrorContext(ctx, "security audit write failed", "kind", ev.Kind, "err", err)
			}
		},
		AreaName: func(ctx context.Context, code string) string {
			a, err := db.AreaByCode(ctx, code)
			if err != nil {
				return ""
			}
			return a.Name
		}}, db)
	if err != nil {
		return err
	}
	// A new or overdue case wakes the robots' loop (which walks the logs
	// for the groups that chose them).
	cases.OnEvent(func(_ civicgrid.Case, ev civicgrid.CaseEvent) {
		if ev.Action == civicgrid.CaseReport || ev.Action == civicgrid.CaseEscalate {
			nts.Nudge()
		}
	})
	notes.AddSource(nts.NotifySource())
	nts.OnPost(func(civicgrid.Notice) { notes.Nudge() })
	if demo {
		if err := seedDemoNotices(ctx, db, nts, volunteer); err != nil {
			return err
		}
	}
	// The admin pages call the API's own routes in process; the server is
	// set once it exists.
	adminAPI := &server.LocalAPI{}
	ui, err := web.New(web.Config{Map: basemap, Center: [2]float64{114.30, 30.58}, Zoom: 13,
		Cases: cases, People: db, Admin: adminAPI, Catalogue: cases, Webhooks: adminAPI, Calendar: adminAPI, Open311Keys: adminAPI, Inbox: notes, Cogov: cogov, Volunteer: volunteer, Lectures: lecture, Search: finder, Warning: warn, Care: careSvc, Notices: nts,
		Hotline: *o.hotline, OfficeAddress: *o.officeAddress, PublicURL: *o.publicURL, CommunityPhone: *o.communityPhone, Auth: adminAPI, DevSMS: sender.Name() == "development",
		Lookups: adminAPI, CertificateFont: *o.certificateFont}, db)
	if err != nil {
		return err
	}
	hooks, err := webhook.New(webhook.Config{Key: hookKey, MaxAttempts: *o.hookAttempts, AllowPrivate: *o.hookPrivate, Observe: met.Webhook,
		Requests: volunteer}, db, nil)
	if err != nil {
		return err
	}
	srv := server.New(server.Config{MaxImportBytes: *o.maxImport, Import: areaio.Options{}, Auth: authCfg, SMS: sender, OIDC: provider,
		Cases: cases, Photos: photos, Open311: db, Webhooks: hooks, Notify: notes, Jurisdiction: *o.jurisdiction,
		RequestTimeout: *o.requestTimeout, MaxInFlight: *o.maxRequests, Calendar: calendar, ReadTimeout: *o.readTimeout, ImageOrigins: basemap.ImageOrigins(), Metrics: met, MetricsToken: *o.metricsOpts.token, Cogov: cogov,
		Volunteer: volunteer, Lectures: lecture, Search: finder, Warning: warn, Care: careSvc, Notices: nts, PublicURL: *o.publicURL}, db, locator, ui.Register)
	adminAPI.Server = srv
	ln, err := net.Listen("tcp", *o.addr)
	if err != nil {
		return err
	}
	if *o.debugAddr != "" {
		if err := serveDebug(ctx, *o.debugAddr); err != nil {
			ln.Close()
			return err
		}
	}
	metricsAt, err := o.metricsOpts.serve(ctx, met)
	if err != nil {
		ln.Close()
		return err
	}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(stdout, "civicgrid %s serving %d grids from %s at %s (ready in %s)\n",
		version, locator.Grids(), o.data.dir(), url, time.Since(start).Round(time.Millisecond))
	if metricsAt != "" {
		fmt.Fprintf(stdout, "Prometheus metrics at http://%s/metrics\n", metricsAt)
	}
	if demo {
		printDemoAccounts(stdout, url)
		fmt.Fprintf(stdout, "\nDemo city-admin API token (valid 24 h, scope 420100 武汉市):\n  %s\n", demoToken)
		fmt.Fprintf(stdout, "Try:\n  curl '%sapi/v1/locate?lat=30.5928&lng=114.2986'\n", url)
		fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' '%sapi/v1/admin/areas/export?within=420102' -o jiangan.geojson\n", demoToken, url)
		fmt.Fprintf(stdout, "\nOpen311 GeoReport v2 at %sopen311/v2/ (discovery: %sopen311/discovery.json), demo api_key:\n  %s\n", url, url, demoKey)
		fmt.Fprintf(stdout, "  curl '%sopen311/v2/services.json'\n", url)
		fmt.Fprintf(stdout, "  curl -d api_key=%s -d service_code=C0005 -d lat=30.5928 -d long=114.2986 -d description=水管破裂 '%sopen311/v2/requests.json'\n", demoKey, url)
	}
	slog.Info("listening", "addr", ln.Addr().String())
	go refreshLoop(ctx, locator, db, calendar)
	go purgeLoop(ctx, db, o.auth.retention)
	go cases.RunScheduler(ctx)
	if metricsAt != "" || *o.metricsOpts.token != "" {
		go countLights(ctx, cases, met, time.Minute)
	}
	go careSvc.RunScheduler(ctx)
	go volunteer.RunScheduler(ctx)
	// Requests opened on any instance reach this one's live streams.
	go volunteer.FollowOpened(ctx, time.Second)
	go cogov.RunElections(ctx)
	go cogov.RunProjectScheduler(ctx)
	go func() {
		if err := cases.WarmDuplicates(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("duplicate windows not read ahead; each is read at its category's first report", "err", err)
		}
	}()
	go db.ListenCaseEvents(ctx, func(caseID, eventID int64) { relayCaseEvent(ctx, db, cases, caseID, eventID) })
	go hooks.Run(ctx)
	go notes.Run(ctx)
	go nts.Run(ctx, 2*time.Second)
	go lecture.RunReminders(ctx, 5*time.Minute, notes.Nudge, func(err error) { slog.Error("lectures: reminders", "error", err) })
	go runWarnings(ctx, db, warn)
	go warn.Updates(ctx, func(msg string, args ...any) { slog.Warn(msg, args...) })
	return srv.Serve(ctx, ln)
}

// newPushSender loads (or makes) the VAPID key and returns the push sender.
// The key, like the webhook key, stays out of the database: a copy of the
// database alone cannot push to people's browsers.
func newPushSender(keyPath, subject, publicURL string, allowPrivate bool) (*webpush.Sender, error) {
	key, err := webpush.LoadKey(keyPath)
	if err != nil {
		return nil, err
	}
	if subject == "" {
		subject = "mailto:webmaster@localhost"
		if strings.HasPrefix(publicURL, "https://") {
			subject = publicURL
		}
	}
	return webpush.New(webpush.Config{Key: key, Subject: subject, AllowPrivate: allowPrivate})
}

// refreshLoop picks up what other processes (the CLI, other instances)
// changed: area imports, by watching the area generation, and the working
// calendar's stored days (a handful of rows, read whole).
func refreshLoop(ctx context.Context, locator *locate.Service, db *sqlstore.DB, calendar *workcal.Live) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if changed, err := locator.Refresh(ctx); err != nil {
				slog.Error("refresh grid index", "err", err)
			} else if changed {
				slog.Info("grid index rebuilt", "grids", locator.Grids(), "generation", locator.Generation())
			}
			if err := server.RefreshCalendar(ctx, db, calendar); err != nil {
				slog.Error("refresh working calendar", "err", err)
			}
		}
	}
}

// seedDemo fills an empty store with the demo city and its people, and
// returns a fresh demo admin token.
func seedDemo(ctx context.Context, db *sqlstore.DB, seed int64, stdout io.Writer) (string, error) {
	existing, err := db.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelGrid, Limit: 1})
	if err != nil {
		return "", err
	}
	if len(existing) == 0 {
		city, err := democity.Generate(democity.Options{Seed: seed})
		if err != nil {
			return "", err
		}
		res, err := areaio.ImportAreas(ctx, db, city.Areas, areaio.Options{})
		if err != nil {
			return "", fmt.Errorf("seed demo city: %w", describe(err))
		}
		grants := make([]civicgrid.Grant, 0, len(city.People))
		for _, p := range city.People {
			grants = append(grants, civicgrid.Grant{Name: p.Name, Phone: p.Phone, Role: p.Role, AreaCode: p.AreaCode})
		}
		if err := db.GrantRoles(ctx, grants); err != nil {
			return "", err
		}
		fmt.Fprintf(stdout, "Seeded the demo city: %s areas, %d people.\n", res, len(grants))
	}
	secret, _, err := db.CreateAPIToken(ctx, civicgrid.APIToken{
		Name: "demo-admin", Role: civicgrid.RoleCityAdmin, AreaCode: democity.CityCode, ExpiresAt: time.Now().Add(24 * time.Hour)},
		civicgrid.SecurityEvent{Kind: civicgrid.EventTokenCreated, Actor: "cli", AreaCode: democity.CityCode, Detail: "demo city-admin token"})
	if err != nil {
		return "", err
	}
	return secret, seedDemoAccounts(ctx, db)
}

// The demo city's made-up work number and office.
const (
	demoRelayPhone    = "027-12345000"
	demoOfficeAddress = "演示社区服务中心（演示地址，非真实）"
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// relayCaseEvent passes a change another instance stored (PostgreSQL) to
// this instance's live queues, webhooks and scheduler.
func relayCaseEvent(ctx context.Context, db *sqlstore.DB, cases *casework.Service, caseID, eventID int64) {
	c, err := db.CaseByID(ctx, caseID)
	if err != nil {
		slog.Warn("relay case event", "case", caseID, "err", err)
		return
	}
	ev, err := db.CaseEventByID(ctx, eventID)
	if err != nil {
		slog.Warn("relay case event", "event", eventID, "err", err)
		return
	}
	cases.Relay(c, ev)
}

// serveOptions are the settings of serve and demo.
type serveOptions struct {
	data             *storeFlags
	addr             *string
	mapProvider      *string
	mapKey           *string
	tileURL          *string
	tileAttribution  *string
	nearest          *float64
	maxImport        *int64
	seed             *int64
	pastDays         *int
	cogovClock       *string
	jurisdiction     *string
	reopenWindow     *time.Duration
	supportThreshold *int
	supportShare     *int
	signInRadius     *float64
	roundMinutes     *int
	claimLimit       *int
	claimInsured     *bool
	certificateFont  *string
	takeWithin       *time.Duration
	careRetention    *time.Duration
	timeBankFloor    *int
	hookPrivate      *bool
	robotPrivate     *bool
	remindInterval   *time.Duration
	maxRequests      *int
	requestTimeout   *time.Duration
	debugAddr        *string
	readTimeout      *time.Duration
	hookAttempts     *int
	pushOn           *bool
	pushSubject      *string
	pushPrivate      *bool
	smsPerHour       *int
	publicURL        *string
	relayPhone       *string
	hotline          *string
	officeAddress    *string
	communityPhone   *string
	auth             *authSettings
	conf             *configFlags
	logOpts          *logOptions
	metricsOpts      *metricsOptions

	// volunteer service records
	windowTolerance    *time.Duration
	windowTolerancePct *int
}

// newServeFlags defines the flags of serve (or demo) and where their values go.
func newServeFlags(name string, stderr io.Writer) (*flag.FlagSet, *serveOptions) {
	fs := newFlags(name, name+" [flags]", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: civicgrid %s [flags]\n\nEvery flag is also a CIVICGRID_* environment variable (--sign-in-radius: CIVICGRID_SIGN_IN_RADIUS)\n"+
			"and a key of the --config file; the command line wins, then the environment, then the file.\n\nFlags:\n", name)
		fs.PrintDefaults()
	}
	o := &serveOptions{}
	o.data = dataFlag(fs)
	o.addr = fs.String("addr", envOr("CIVICGRID_ADDR", "127.0.0.1:8080"), "listen address HOST:PORT (env CIVICGRID_ADDR)")
	o.mapProvider = fs.String("map-provider", os.Getenv("CIVICGRID_MAP_PROVIDER"), "base map: none (the city's own base layer drawn from the area registry), tianditu (天地图, WGS-84, needs --map-key), amap or tencent (GCJ-02: shifted in the browser), custom (WGS-84 tiles from --tile-url) (env CIVICGRID_MAP_PROVIDER; default none, or custom with --tile-url)")
	o.mapKey = fs.String("map-key", os.Getenv("CIVICGRID_MAP_KEY"), "the map provider's key (Tianditu tk) (env CIVICGRID_MAP_KEY)")
	o.tileURL = fs.String("tile-url", os.Getenv("CIVICGRID_TILE_URL"), "tile URL template, e.g. https://tile.example.org/{z}/{x}/{y}.png (env CIVICGRID_TILE_URL): the tiles of --map-provider custom, or a mirror of a built-in provider's tiles (its datum and directions link are kept)")
	o.tileAttribution = fs.String("tile-attribution", os.Getenv("CIVICGRID_TILE_ATTRIBUTION"), "attribution text for the tile layer (default: the provider's)")
	o.nearest = fs.Float64("nearest-max-m", locate.DefaultOptions.NearestMaxMeters, "a point outside every grid but within this many metres of one is given to the nearest grid (0: never)")
	o.maxImport = fs.Int64("max-import-bytes", 64<<20, "largest area import accepted over the API")
	o.seed = fs.Int64("seed", 1, "demo only: seed of the generated city")
	o.pastDays = fs.Int("past-days", 0, "demo only: give an empty demo city this many days of past cases, taken through the whole loop on a simulated clock (make demo: 180)")
	o.cogovClock = fs.String("cogov-clock-file", "", "demo only, for tests: a file holding a duration (e.g. 240h) added to co-governance's clock, read at each use, so that a notice period passes in a test")
	o.jurisdiction = fs.String("jurisdiction", envOr("CIVICGRID_JURISDICTION", "420100"), "Open311 jurisdiction_id of this deployment")
	o.reopenWindow = fs.Duration("reopen-window", 7*24*time.Hour, "how long after closing a reporter may reopen a case")
	o.supportThreshold = fs.Int("support-threshold", 5, "supports (附议) that put a co-governance proposal on the agenda")
	o.supportShare = fs.Int("support-share", 0, "when 1-100: a proposal's support threshold is this percentage of the households registered in its scope (at least 1), or --support-threshold where none are registered; 0: the count alone")
	o.signInRadius = fs.Float64("sign-in-radius", 300, "metres from the building within which a volunteer signs in and out, and an attendee checks in at a lecture")
	o.roundMinutes = fs.Int("round-minutes", 15, "volunteer service time is rounded to this many minutes (half up)")
	o.claimLimit = fs.Int("claim-limit", 3, "open claims (接单) one volunteer may hold at once")
	o.claimInsured = fs.Bool("claim-needs-insurance", false, "every claim (接单) needs a volunteer whose insurance covers the day, not only the services marked so (陪诊, 维修)")
	o.windowTolerance = fs.Duration("window-tolerance", 30*time.Minute, "a volunteer service may run this long past its request's time window (or --window-tolerance-pct of it, whichever is more) before its record waits for staff confirmation")
	o.windowTolerancePct = fs.Int("window-tolerance-pct", 50, "share of a request's time window a service may run past it before its record waits for staff confirmation (see --window-tolerance)")
	o.certificateFont = fs.String("certificate-font", "", "CJK TrueType font (.ttf, or a .ttc whose first font is used) of volunteer certificate PDFs; empty tries the Debian WenQuanYi and AR PL fonts, and without one the PDF is in English with non-Latin text as ?")
	o.takeWithin = fs.Duration("request-take-within", 24*time.Hour, "a volunteer request open this long without a volunteer taking it turns red and the community's staff are notified")
	o.careRetention = fs.Duration("care-retention", 90*24*time.Hour, "how long after care ends a care entry's personal fields (name, phone, address, guardian, visit notes and photos) are kept before they are erased")
	o.timeBankFloor = fs.Int("time-bank-floor", 0, "lowest balance in minutes a member's time-bank account may reach (negative allows an overdraft)")
	o.hookPrivate = fs.Bool("webhook-allow-private", false, "let webhooks reach loopback and private addresses (off: a hook cannot probe the server's own network)")
	o.robotPrivate = fs.Bool("robot-allow-private", false, "let work-group robots reach loopback and private addresses, over plain http too (development and tests; off: https to public addresses only)")
	o.remindInterval = fs.Duration("notice-remind-interval", 24*time.Hour, "least time between two re-reminders of one notice's unread")
	o.maxRequests = fs.Int("max-requests", 64, "requests at work at once (live streams, exports and uploads over 64 KB aside); one more waits up to 1 s for a place, then gets 503 with Retry-After at once, so that a server past its capacity keeps answering what it can take instead of letting every request run into its deadline; negative: no bound")
	o.requestTimeout = fs.Duration("request-timeout", 10*time.Second, "deadline of each request's work; a database that does not answer by then makes a 503 and the request's transaction is rolled back (live streams, exports and area imports are not bounded)")
	o.debugAddr = fs.String("debug-addr", "", "serve Go's profiler (/debug/pprof/) at this loopback address HOST:PORT, apart from --addr (default: off)")
	o.readTimeout = fs.Duration("read-timeout", time.Minute, "how long a request, body included, may take to arrive; a slower one is cut off (raise it for large area imports over slow links)")
	o.hookAttempts = fs.Int("webhook-max-attempts", 8, "failed webhook attempts before a delivery is dead-lettered (retries back off from 10 s, doubling, up to 1 h)")
	o.pushOn = fs.Bool("push", true, "browser push: send each notification to the browsers people turned it on in (Web Push with a VAPID key kept in DATA/vapid.key)")
	o.pushSubject = fs.String("push-subject", os.Getenv("CIVICGRID_PUSH_SUBJECT"), "how push services can reach this site's operator: an https: URL or a mailto: address (env CIVICGRID_PUSH_SUBJECT; default --public-url, else mailto:webmaster@localhost)")
	o.pushPrivate = fs.Bool("push-allow-private", false, "let push subscriptions point at loopback and private addresses (development; off: only public push services)")
	o.smsPerHour = fs.Int("notify-sms-per-hour", 5, "text messages one person gets from notifications in any hour; the rest stay in their inbox only")
	o.publicURL = fs.String("public-url", os.Getenv("CIVICGRID_PUBLIC_URL"), "the site's address as people reach it, e.g. https://grid.example.gov.cn (env CIVICGRID_PUBLIC_URL); notification text messages link to it, and carry no link without it")
	o.relayPhone = fs.String("relay-phone", os.Getenv("CIVICGRID_RELAY_PHONE"), "the work number residents call about their case (a relay or the community office), shown on the case page with the grid worker's name; personal phones stay private (env CIVICGRID_RELAY_PHONE; the demo's default is 027-12345000)")
	o.hotline = fs.String("hotline", envOr("CIVICGRID_HOTLINE", "12345"), "the hotline a resident may call when a report is rejected, shown on the case page (env CIVICGRID_HOTLINE; \"\" shows none)")
	o.officeAddress = fs.String("office-address", os.Getenv("CIVICGRID_OFFICE_ADDRESS"), "the office a resident may visit when a report is rejected, shown on the case page (env CIVICGRID_OFFICE_ADDRESS; the demo shows a made-up one)")
	o.communityPhone = fs.String("community-phone", os.Getenv("CIVICGRID_COMMUNITY_PHONE"), "the phone number the report page gives those who cannot report online, e.g. without JavaScript (env CIVICGRID_COMMUNITY_PHONE; the demo's is "+demoCommunityPhone+")")
	o.auth = authFlags(fs)
	o.logOpts = logFlags(fs)
	o.metricsOpts = metricsFlags(fs)
	o.conf = configFlagsOn(fs)
	return fs, o
}

// check does what --check-config asks, after the checks every start makes:
// the listen addresses parse, the text-message settings make a sender, and
// the settings are printed with their sources. Nothing is opened, contacted
// or listened on.
func (o *serveOptions) check(fs *flag.FlagSet, source map[string]string, stdout io.Writer) error {
	for name, addr := range map[string]string{"addr": *o.addr, "debug-addr": *o.debugAddr, "metrics-addr": *o.metricsOpts.addr} {
		if err := checkListenAddr(name, addr); err != nil {
			return err
		}
	}
	if _, err := sms.New(o.auth.smsConfig(), slog.New(slog.DiscardHandler)); err != nil {
		return err
	}
	printSettings(stdout, fs, source)
	fmt.Fprintln(stdout, "settings OK")
	return nil
}

// runWarnings runs the early warning daily over each city in the store
// (every instance may: an alert is stored once, whichever stores it first).
func runWarnings(ctx context.Context, db *sqlstore.DB, warn *warning.Service) {
	cities, err := db.CurrentAreas(ctx, civicgrid.AreaFilter{Level: civicgrid.LevelCity})
	if err != nil {
		slog.Warn("early warning not started", "err", err)
		return
	}
	for _, c := range cities {
		go warn.Daily(ctx, c.Code, func(msg string, args ...any) { slog.Info(msg, append([]any{"scope", c.Code}, args...)...) })
	}
}
