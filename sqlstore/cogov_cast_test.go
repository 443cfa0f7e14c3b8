package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

// Many casters on one vote at once, online and on paper: nobody votes
// twice across the channels, every acknowledged ballot is in the box and
// counted, refused casts fail no one else's, and the kept tally equals the
// count of the box (before and after the close).
func TestConcurrentCastersOneVote(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := time.UnixMilli(1764800000000)
	const n = 40
	var voters []civicgrid.User
	for i := range n {
		voters = append(voters, cgUser(t, db, 100+i, civicgrid.RoleResident, []string{cgBuilding, cgBuilding2}[i%2]))
	}
	staff1, staff2 := cgUser(t, db, 200, civicgrid.RoleCommunityStaff, cgCommunity), cgUser(t, db, 201, civicgrid.RoleCommunityStaff, cgCommunity)
	v, err := civicgrid.VoteInput{AreaCode: cgCommunity, Question: "选谁", Method: civicgrid.MethodApproval, Options: []string{"甲", "乙", "丙"},
		Winners: 1, Hours: 24}.Check(now)
	if err != nil {
		t.Fatal(err)
	}
	if v, err = db.OpenVote(ctx, v, civicgrid.DefaultRollRoles, civicgrid.CogovEvent{At: now, Actor: "s", Action: civicgrid.CogovVoteOpened}); err != nil {
		t.Fatal(err)
	}
	choices := [][]string{{"甲"}, {"乙", "丙"}, {}, {"甲", "丙"}}
	var mu sync.Mutex
	online := make([]int, n) // acknowledged online ballots per voter
	paper := make([]int, n)  // successful paper markings per voter
	acked := map[string][]string{}
	var wg sync.WaitGroup
	for i, u := range voters {
		for range 3 { // the same voter on three devices at once
			wg.Go(func() {
				_, h := civicgrid.NewReceipt()
				err := db.CastBallot(ctx, v.ID, u.ID, civicgrid.Ballot{ReceiptHash: h, Choices: choices[i%len(choices)]}, now)
				mu.Lock()
				defer mu.Unlock()
				switch civicgrid.ErrorCode(err) {
				case "":
					online[i]++
					acked[h] = choices[i%len(choices)]
				case civicgrid.ECONFLICT:
				default:
					t.Errorf("voter %d online: %v", i, err)
				}
			})
		}
		if i%4 == 0 { // and at the ballot box
			wg.Go(func() {
				err := db.MarkPaperVoter(ctx, v.ID, u.Phone, civicgrid.SecurityEvent{At: now, Kind: "x", ActorID: staff1.ID})
				mu.Lock()
				defer mu.Unlock()
				switch civicgrid.ErrorCode(err) {
				case "":
					paper[i]++
				case civicgrid.ECONFLICT:
				default:
					t.Errorf("voter %d on paper: %v", i, err)
				}
			})
		}
	}
	// Someone off the roll tries too: refused, and fails nobody else.
	outsider := cgUser(t, db, 300, civicgrid.RoleResident, cgBuilding)
	wg.Go(func() {
		_, h := civicgrid.NewReceipt()
		if err := db.CastBallot(ctx, v.ID, outsider.ID, civicgrid.Ballot{ReceiptHash: h, Choices: []string{"甲"}}, now); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
			t.Errorf("off the roll: %v", err)
		}
	})
	wg.Wait()
	papers := 0
	for i := range voters {
		if online[i]+paper[i] != 1 {
			t.Errorf("voter %d: %d online ballots and %d paper markings, want exactly one of them", i, online[i], paper[i])
		}
		if paper[i] == 1 {
			papers++
			e, err := db.EnterPaperBallot(ctx, civicgrid.PaperEntry{VoteID: v.ID, Choices: []string{"乙"}, Witness: "监票人", EnteredBy: staff1.ID, EnteredAt: now},
				civicgrid.CogovEvent{At: now, Actor: "s", Action: "x"})
			if err != nil {
				t.Fatal(err)
			}
			_, h := civicgrid.NewReceipt()
			if err := db.ConfirmPaperBallot(ctx, v.ID, e.ID, staff2.ID, h, civicgrid.CogovEvent{At: now, Actor: "s", Action: "x"}); err != nil {
				t.Fatal(err)
			}
			acked[h] = []string{"乙"}
		}
	}
	box, err := db.Ballots(ctx, v.ID)
	if err != nil || len(box) != n || len(acked) != n {
		t.Fatalf("%d ballots in the box, %d acknowledged, want %d: %v", len(box), len(acked), n, err)
	}
	for _, b := range box {
		if want, ok := acked[b.ReceiptHash]; !ok || fmt.Sprint(want) != fmt.Sprint(b.Choices) {
			t.Errorf("ballot %s in the box: %v, acknowledged %v (%v)", b.ReceiptHash[:8], b.Choices, want, ok)
		}
	}
	kv, kept, ok, kbox, err := db.KeptTally(ctx, v.ID)
	if err != nil || !ok || kept.Ballots != n || civicgrid.CheckKept(kv, kept, kbox) != nil {
		t.Fatalf("kept tally %+v: %v", kept, err)
	}
	closed, err := db.CloseVote(ctx, v.ID, now, now.Add(time.Hour), civicgrid.CogovEvent{At: now, Actor: "s", Action: civicgrid.CogovVoteClosed})
	if err != nil || closed.Result.Ballots != n || civicgrid.Recount(closed, box) != nil {
		t.Fatalf("closed %+v: %v", closed.Result, err)
	}
	t.Logf("%d of %d paper markings won the race against the same voters' online casts", papers, (n+3)/4)
}

// A cast whose caller's deadline passes while it waits for the writer is
// answered with the deadline and never written, and a cast with time left
// in the same batch is written.
func TestCastNeverWrittenAfterItsDeadline(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.UnixMilli(1764800000000)
	a, b := cgUser(t, db, 1, civicgrid.RoleResident, cgBuilding), cgUser(t, db, 2, civicgrid.RoleResident, cgBuilding)
	v := cgOpen(t, db, cgCommunity, now)
	// Another process holds SQLite's write lock.
	other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, SQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	long, cancelLong := context.WithTimeout(ctx, time.Minute)
	defer cancelLong()
	cast := func(ctx context.Context, u civicgrid.User) *pending[castRequest, error] {
		_, h := civicgrid.NewReceipt()
		return &pending[castRequest, error]{ctx: ctx, done: make(chan error, 1),
			req: castRequest{voteID: v.ID, userID: u.ID, b: civicgrid.Ballot{ReceiptHash: h, Choices: []string{"yes"}}, now: now}}
	}
	ps, pl := cast(short, a), cast(long, b)
	committed := make(chan struct{})
	go func() { db.ballots.commit([]*pending[castRequest, error]{ps, pl}); close(committed) }()
	if err := <-ps.done; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a cast past its deadline: %v", err)
	}
	if _, err := lock.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	<-committed
	if err := <-pl.done; err != nil {
		t.Fatalf("a cast with time left: %v", err)
	}
	for u, want := range map[int64]bool{a.ID: false, b.ID: true} {
		if _, voted, err := db.RollEntry(ctx, v.ID, u); err != nil || voted != want {
			t.Errorf("user %d voted %v, want %v (%v)", u, voted, want, err)
		}
	}
	if got, err := db.VoteByID(ctx, v.ID); err != nil || got.Ballots != 1 {
		t.Fatalf("%d ballots: %v", got.Ballots, err)
	}
}
