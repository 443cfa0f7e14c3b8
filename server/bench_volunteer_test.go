package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/locate"
	"github.com/civicgrid/civicgrid/server"
	"github.com/civicgrid/civicgrid/sqlstore"
	"github.com/civicgrid/civicgrid/volunteering"
)

// claimLoad is one or more instances over one database holding the demo
// city, 1,000 approved volunteers of one community with their sessions, and
// the requests they race for.
type claimLoad struct {
	urls     []string
	sessions []claimSession
	client   *http.Client
	db       *sqlstore.DB
	chain    mxChain
	poster   int64
}

type claimSession struct{ secret, csrf string }

const (
	claimers      = 1000
	claimRequests = 100
)

func newClaimLoad(b *testing.B, instances int) *claimLoad {
	ctx := context.Background()
	db, _, dir := openDemoStore(b)
	l := &claimLoad{db: db, chain: newMatrixChains(b, demoCity(b))[0],
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * claimers, MaxIdleConns: 2 * claimers}}}
	for i := range instances {
		idb := db
		if i > 0 {
			var err error
			if idb, err = sqlstore.Open(ctx, db.URL(), dir); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { idb.Close() })
		}
		iloc, err := locate.New(ctx, idb, locate.DefaultOptions)
		if err != nil {
			b.Fatal(err)
		}
		// No limit of open claims: each volunteer races in every round.
		vol := volunteering.New(volunteering.Config{ClaimLimit: 1 << 20, People: idb}, idb, idb)
		srv := httptest.NewServer(server.New(server.Config{Volunteer: vol}, idb, iloc).Handler())
		b.Cleanup(srv.Close)
		l.urls = append(l.urls, srv.URL)
	}
	now := time.Now()
	p, err := db.CreateUser(ctx, civicgrid.User{Name: "求助人", Phone: "13600000001", Kind: civicgrid.KindResident}, "",
		[]civicgrid.RoleGrant{{Role: civicgrid.RoleResident, AreaCode: l.chain.building}}, civicgrid.SecurityEvent{})
	if err != nil {
		b.Fatal(err)
	}
	l.poster = p.ID
	for i := range claimers {
		u, err := db.CreateUser(ctx, civicgrid.User{Name: "志愿者" + strconv.Itoa(i), Phone: fmt.Sprintf("1370%07d", i), Kind: civicgrid.KindResident}, "",
			[]civicgrid.RoleGrant{{Role: civicgrid.RoleVolunteer, AreaCode: l.chain.community}}, civicgrid.SecurityEvent{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.SaveVolunteerProfile(ctx, civicgrid.VolunteerProfile{UserID: u.ID, Name: u.Name, Community: l.chain.community,
			Status: civicgrid.ProfileApproved, DecidedBy: "bench", DecidedAt: now, CreatedAt: now, UpdatedAt: now}, true); err != nil {
			b.Fatal(err)
		}
		secret, sess, err := db.CreateSession(ctx, civicgrid.Session{UserID: u.ID, Via: "password", ExpiresAt: now.Add(time.Hour)}, civicgrid.SecurityEvent{})
		if err != nil {
			b.Fatal(err)
		}
		l.sessions = append(l.sessions, claimSession{secret, sess.CSRFToken})
	}
	return l
}

// openRequests stores n requests at the chain's building, accepted (open
// to the volunteers), and returns their ids.
func (l *claimLoad) openRequests(b *testing.B, n int) []int64 {
	ctx, now := context.Background(), time.Now()
	ids := make([]int64, n)
	for i := range ids {
		r, err := civicgrid.HelpInput{Service: "shopping", BuildingCode: l.chain.building}.Check(now)
		if err != nil {
			b.Fatal(err)
		}
		r.PosterID, r.Poster = l.poster, "求*"
		if r, err = l.db.CreateHelpRequest(ctx, r, civicgrid.VolunteerEvent{At: now, Actor: "bench", Action: civicgrid.HelpActPosted}); err != nil {
			b.Fatal(err)
		}
		if _, err = l.db.StepHelp(ctx, r.ID, civicgrid.StepAccept, civicgrid.HelpChange{}, civicgrid.VolunteerEvent{At: now, Actor: "bench", Action: civicgrid.HelpActAccepted}); err != nil {
			b.Fatal(err)
		}
		ids[i] = r.ID
	}
	return ids
}

// claim posts volunteer v's claim of request id to an instance; it returns
// the status and the time from sending to the end of the answer.
func (l *claimLoad) claim(v int, id int64) (int, string, time.Duration, error) {
	s := l.sessions[v]
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/volunteer/requests/%d/claim", l.urls[v%len(l.urls)], id), nil)
	req.Header.Set("X-CSRF-Token", s.csrf)
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: s.secret})
	start := time.Now()
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, "", 0, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body), time.Since(start), nil
}

// BenchmarkClaimRace is the race: 1,000 volunteers claim 100 open
// requests at the same moment over HTTP (ten claimers a request, released
// together), on one instance and on three sharing the database (round
// robin). Each round must end with exactly 100 claims taken (200) and 900
// refused as taken (409); it reports the claims' p50, p99 and max latency
// and the round's duration. Under scripts/with-postgres.sh the database is
// PostgreSQL.
func BenchmarkClaimRace(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			l := newClaimLoad(b, n)
			var lat []time.Duration
			var round time.Duration
			for range b.N {
				b.StopTimer()
				ids := l.openRequests(b, claimRequests)
				b.StartTimer()
				start := make(chan struct{})
				var wg sync.WaitGroup
				statuses := make([]int, claimers)
				bodies := make([]string, claimers)
				times := make([]time.Duration, claimers)
				errs := make([]error, claimers)
				for v := range claimers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						statuses[v], bodies[v], times[v], errs[v] = l.claim(v, ids[v%claimRequests])
					}()
				}
				t0 := time.Now()
				close(start)
				wg.Wait()
				round += time.Since(t0)
				won, taken, odd := 0, 0, map[int]int{}
				var oddBody string
				for v, st := range statuses {
					switch {
					case errs[v] != nil:
						b.Fatal(errs[v])
					case st == http.StatusOK:
						won++
					case st == http.StatusConflict:
						taken++
					default:
						odd[st]++
						oddBody = bodies[v]
					}
				}
				if len(odd) > 0 {
					b.Fatalf("claims answered otherwise: %v (one said %s); %d taken, %d refused", odd, oddBody, won, taken)
				}
				if won != claimRequests || taken != claimers-claimRequests {
					b.Fatalf("%d claims taken and %d refused, want %d and %d", won, taken, claimRequests, claimers-claimRequests)
				}
				lat = append(lat, times...)
			}
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(pct(1), "max-ms")
			b.ReportMetric(float64(round.Milliseconds())/float64(b.N), "round-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}
