package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

const (
	cgCommunity = "420102001001"
	cgBuilding  = "4201020010010010001"
	cgBuilding2 = "4201020010010020001"
	cgAway      = "4201030010010010001"
)

func cgUser(t *testing.T, db *DB, n int, role, area string) civicgrid.User {
	t.Helper()
	g := civicgrid.RoleGrant{Role: role, AreaCode: area}
	if role == civicgrid.RoleBuilding {
		g.Detail = "building_head"
	}
	u, err := db.CreateUser(context.Background(), civicgrid.User{Name: fmt.Sprintf("居民%d", n), Phone: fmt.Sprintf("1380000%04d", n), Kind: civicgrid.KindResident},
		"", []civicgrid.RoleGrant{g}, civicgrid.SecurityEvent{Kind: civicgrid.EventUserCreated})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestProposalSupportReachesTheAgenda(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	author := cgUser(t, db, 1, civicgrid.RoleResident, cgBuilding)
	now := time.UnixMilli(1764800000000)
	p, err := db.CreateProposal(ctx, civicgrid.Proposal{AreaCode: cgCommunity, Title: "增设充电桩", Body: "楼下", Status: civicgrid.ProposalOpen,
		AuthorID: author.ID, Author: "居*", SupportNeeded: 2, CreatedAt: now}, civicgrid.CogovEvent{At: now, ActorID: author.ID, Actor: "居*", Action: civicgrid.CogovProposed})
	if err != nil {
		t.Fatal(err)
	}
	a, b := cgUser(t, db, 2, civicgrid.RoleResident, cgBuilding), cgUser(t, db, 3, civicgrid.RoleResident, cgBuilding2)
	sup := func(u civicgrid.User) (civicgrid.Proposal, error) {
		return db.AddSupport(ctx, p.ID, u.ID, civicgrid.CogovEvent{At: now, ActorID: u.ID, Actor: "x", Action: civicgrid.CogovSupported})
	}
	if p, err = sup(a); err != nil || p.Supports != 1 || p.Status != civicgrid.ProposalOpen {
		t.Fatalf("first support: %+v %v", p, err)
	}
	if _, err := sup(a); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("second support by the same person: %v", err)
	}
	if p, err = sup(b); err != nil || p.Supports != 2 || p.Status != civicgrid.ProposalAgenda {
		t.Fatalf("support at the threshold: %+v %v", p, err)
	}
	if _, err := sup(author); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("support after it is on the agenda: %v", err)
	}
	evs, err := db.CogovEvents(ctx, civicgrid.ProposalSubject(p.ID))
	if err != nil || len(evs) != 4 || evs[3].Action != civicgrid.CogovOnAgenda {
		t.Fatalf("events %+v %v", evs, err)
	}
	if err := civicgrid.VerifyCogovChain(evs); err != nil {
		t.Fatal(err)
	}
	// Tampering with a stored event is found.
	if _, err := db.SQL().Exec(`UPDATE cogov_events SET note = 'x' WHERE subject = $1 AND seq = 2`, civicgrid.ProposalSubject(p.ID)); err != nil {
		t.Fatal(err)
	}
	broken := 0
	if err := db.ForEachCogovChain(ctx, func(s string, evs []civicgrid.CogovEvent) error {
		if civicgrid.VerifyCogovChain(evs) != nil {
			broken++
		}
		return nil
	}); err != nil || broken != 1 {
		t.Fatalf("tampered chains found: %d %v", broken, err)
	}
}

func cgOpen(t *testing.T, db *DB, area string, now time.Time) civicgrid.Vote {
	t.Helper()
	v, err := civicgrid.VoteInput{AreaCode: area, Question: "是否同意？", Method: civicgrid.MethodYesNo, Hours: 24}.Check(now)
	if err != nil {
		t.Fatal(err)
	}
	v, err = db.OpenVote(context.Background(), v, civicgrid.DefaultRollRoles, civicgrid.CogovEvent{At: now, Actor: "staff", Action: civicgrid.CogovVoteOpened})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVoteRollBallotsAndClose(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := time.UnixMilli(1764800000000)
	var voters []civicgrid.User
	for i := range 5 {
		voters = append(voters, cgUser(t, db, 10+i, civicgrid.RoleResident, []string{cgBuilding, cgBuilding2}[i%2]))
	}
	head := cgUser(t, db, 20, civicgrid.RoleBuilding, cgBuilding)
	cgUser(t, db, 21, civicgrid.RoleResident, cgAway)                     // another district
	staff := cgUser(t, db, 22, civicgrid.RoleCommunityStaff, cgCommunity) // staff are not on a residents' roll

	// An empty roll opens nothing.
	empty, _ := civicgrid.VoteInput{AreaCode: "420102009009", Question: "q", Method: civicgrid.MethodYesNo, Hours: 1}.Check(now)
	if _, err := db.OpenVote(ctx, empty, civicgrid.DefaultRollRoles, civicgrid.CogovEvent{At: now, Actor: "s", Action: civicgrid.CogovVoteOpened}); civicgrid.ErrorCode(err) != civicgrid.EINVALID {
		t.Fatalf("empty roll: %v", err)
	}
	if vs, err := db.Votes(ctx, []string{"420102"}, nil, 10); err != nil || len(vs) != 0 {
		t.Fatalf("a refused vote was stored: %v %v", vs, err)
	}

	v := cgOpen(t, db, cgCommunity, now)
	if v.RollSize != 6 {
		t.Fatalf("roll %d, want the 5 residents and the building head", v.RollSize)
	}
	if evs, err := db.ListSecurityEvents(ctx, civicgrid.EventFilter{Within: []string{cgCommunity}, Kind: civicgrid.EventRollFrozen, Limit: 5}); err != nil ||
		len(evs) != 1 || !strings.Contains(evs[0].Detail, "roll of 6 people") {
		t.Fatalf("security log of the frozen roll: %+v %v", evs, err)
	}
	late := cgUser(t, db, 23, civicgrid.RoleResident, cgBuilding) // moves in after the roll was frozen
	for _, u := range []civicgrid.User{late, staff} {
		if on, _, err := db.RollEntry(ctx, v.ID, u.ID); err != nil || on {
			t.Fatalf("user %d on the roll: %v %v", u.ID, on, err)
		}
	}
	cast := func(u civicgrid.User, choice string) (string, error) {
		code, hash := civicgrid.NewReceipt()
		return code, db.CastBallot(ctx, v.ID, u.ID, civicgrid.Ballot{ReceiptHash: hash, Choices: []string{choice}}, now.Add(time.Hour))
	}
	if _, err := cast(late, "yes"); civicgrid.ErrorCode(err) != civicgrid.EFORBIDDEN {
		t.Fatalf("off the roll: %v", err)
	}

	// Eight concurrent attempts by one voter: exactly one ballot.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = cast(voters[0], "yes") }()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch civicgrid.ErrorCode(err) {
		case "":
			ok++
		case civicgrid.ECONFLICT:
		default:
			t.Errorf("concurrent cast: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of 8 concurrent ballots by one voter accepted, want 1", ok)
	}
	receipt, err := cast(voters[1], "no")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []civicgrid.User{voters[2], head} {
		if _, err := cast(u, "yes"); err != nil {
			t.Fatal(err)
		}
	}
	if b, err := db.BallotByReceipt(ctx, v.ID, civicgrid.ReceiptHash(receipt)); err != nil || !slices.Equal(b.Choices, []string{"no"}) {
		t.Fatalf("receipt lookup: %+v %v", b, err)
	}
	if on, voted, err := db.RollEntry(ctx, v.ID, voters[0].ID); !on || !voted || err != nil {
		t.Fatalf("the roll records that voter 0 voted: %v %v %v", on, voted, err)
	}

	// Secrecy: the ballot box holds nothing but the vote, the receipt hash
	// and the choices; on SQLite it has no rowid to give the casting order.
	rows, err := db.SQL().Query(`SELECT * FROM cogov_ballots`)
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	rows.Close()
	// weight is an owners' area (0 in this vote): docs/cogovernance.md says
	// what it reveals in owners' votes.
	if !slices.Equal(cols, []string{"vote_id", "receipt_hash", "choices", "weight"}) {
		t.Fatalf("ballot columns %v: nothing may link a ballot to its voter", cols)
	}
	if db.Dialect() == SQLite {
		if _, err := db.SQL().Exec(`SELECT rowid FROM cogov_ballots`); err == nil {
			t.Fatal("the ballot box has a rowid, which orders ballots as they were cast")
		}
	}

	// The kept tally: lines of option, count and weight — no voter, no
	// time, and no rowid to order its lines as they first appeared.
	if rows, err = db.SQL().Query(`SELECT * FROM cogov_tally`); err != nil {
		t.Fatal(err)
	}
	cols, _ = rows.Columns()
	rows.Close()
	if !slices.Equal(cols, []string{"vote_id", "item", "n", "weight"}) {
		t.Fatalf("tally columns %v", cols)
	}
	if db.Dialect() == SQLite {
		if _, err := db.SQL().Exec(`SELECT rowid FROM cogov_tally`); err == nil {
			t.Fatal("the kept tally has a rowid, which orders its lines as they first appeared")
		}
	}
	if kv, kept, ok, box, err := db.KeptTally(ctx, v.ID); err != nil || !ok || kept.Ballots != 4 || len(box) != 4 || civicgrid.CheckKept(kv, kept, box) != nil {
		t.Fatalf("kept tally %+v of %d ballots: %v", kept, len(box), err)
	}

	closed, err := db.CloseVote(ctx, v.ID, now.Add(2*time.Hour), now.Add(100*time.Hour), civicgrid.CogovEvent{At: now.Add(2 * time.Hour), Actor: "staff", Action: civicgrid.CogovVoteClosed})
	if err != nil {
		t.Fatal(err)
	}
	r := closed.Result
	if r == nil || r.Ballots != 4 || r.RollSize != 6 || !r.QuorumMet || !r.Passed || r.Counts[0].Count != 3 || closed.Ballots != 4 {
		t.Fatalf("result %+v", r)
	}
	// A recount from the published ballots equals the stored tally.
	bs, err := db.Ballots(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if re := civicgrid.Tally(closed, closed.RollSize, bs); re.BallotDigest != r.BallotDigest || !slices.Equal(re.Counts, r.Counts) {
		t.Fatalf("recount %+v differs from %+v", re, r)
	}
	if _, err := cast(voters[3], "yes"); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("a ballot after the close: %v", err)
	}
	if _, err := db.CloseVote(ctx, v.ID, now, now, civicgrid.CogovEvent{At: now, Actor: "s", Action: civicgrid.CogovVoteClosed}); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("second close: %v", err)
	}
	evs, err := db.CogovEvents(ctx, civicgrid.VoteSubject(v.ID))
	if err != nil || len(evs) != 2 || civicgrid.VerifyCogovChain(evs) != nil {
		t.Fatalf("vote events %+v %v", evs, err)
	}
}

// The close counts the kept tally: a ranked poll's lines (one per distinct
// ballot) give the same result as the ballots, with a paper ballot among
// them; a line changed behind the box's back is what the close publishes,
// and the recount and CheckKept both catch it. A vote opened before kept
// tallies is counted from its box.
func TestKeptTallyClose(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := time.UnixMilli(1764800000000)
	var voters []civicgrid.User
	for i := range 7 {
		voters = append(voters, cgUser(t, db, 30+i, civicgrid.RoleResident, cgBuilding))
	}
	staff1, staff2 := cgUser(t, db, 40, civicgrid.RoleCommunityStaff, cgCommunity), cgUser(t, db, 41, civicgrid.RoleCommunityStaff, cgCommunity)
	open := func() civicgrid.Vote {
		v, err := civicgrid.VoteInput{AreaCode: cgCommunity, Question: "活动", Method: civicgrid.MethodRanked, Options: []string{"A", "B", "C"},
			Rule: "simple_majority", Hours: 24}.Check(now)
		if err != nil {
			t.Fatal(err)
		}
		if v, err = db.OpenVote(ctx, v, civicgrid.DefaultRollRoles, civicgrid.CogovEvent{At: now, Actor: "s", Action: civicgrid.CogovVoteOpened}); err != nil {
			t.Fatal(err)
		}
		rankings := [][]string{{"A", "B"}, {"B", "C"}, {"C", "B"}, {"A"}, {}, {"B", "A"}}
		for i, u := range voters[:6] {
			_, h := civicgrid.NewReceipt()
			if err := db.CastBallot(ctx, v.ID, u.ID, civicgrid.Ballot{ReceiptHash: h, Choices: rankings[i]}, now); err != nil {
				t.Fatal(err)
			}
		}
		// The seventh votes on paper: marked, entered, confirmed by another.
		if err := db.MarkPaperVoter(ctx, v.ID, voters[6].Phone, civicgrid.SecurityEvent{At: now, Kind: "x"}); err != nil {
			t.Fatal(err)
		}
		e, err := db.EnterPaperBallot(ctx, civicgrid.PaperEntry{VoteID: v.ID, Choices: []string{"C", "A"}, Witness: "监票人", EnteredBy: staff1.ID, EnteredAt: now},
			civicgrid.CogovEvent{At: now, Actor: "s", Action: "x"})
		if err != nil {
			t.Fatal(err)
		}
		_, h := civicgrid.NewReceipt()
		if err := db.ConfirmPaperBallot(ctx, v.ID, e.ID, staff2.ID, h, civicgrid.CogovEvent{At: now, Actor: "s", Action: "x"}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	closeAndCheck := func(v civicgrid.Vote) (civicgrid.Vote, error) {
		closed, err := db.CloseVote(ctx, v.ID, now, now.Add(time.Hour), civicgrid.CogovEvent{At: now, Actor: "s", Action: civicgrid.CogovVoteClosed})
		if err != nil {
			t.Fatal(err)
		}
		bs, err := db.Ballots(ctx, v.ID)
		if err != nil || len(bs) != 7 {
			t.Fatalf("%d ballots: %v", len(bs), err)
		}
		return closed, civicgrid.Recount(closed, bs)
	}

	v := open()
	kv, kept, ok, box, err := db.KeptTally(ctx, v.ID)
	if err != nil || !ok || len(kept.Items) != 7 || civicgrid.CheckKept(kv, kept, box) != nil {
		t.Fatalf("kept %+v: %v", kept, err)
	}
	closed, err := closeAndCheck(v)
	if err != nil || closed.Result.DigestScheme != civicgrid.DigestMuHash || closed.Result.Ballots != 7 {
		t.Fatalf("close from the kept tally: %+v %v", closed.Result, err)
	}
	if want := civicgrid.Tally(closed, closed.RollSize, box); !slices.Equal(want.Rounds[0].Counts, closed.Result.Rounds[0].Counts) ||
		!slices.Equal(want.Winners, closed.Result.Winners) || want.BallotDigest != closed.Result.BallotDigest {
		t.Fatalf("kept %+v, from the box %+v", closed.Result, want)
	}

	// A tampered line: the close publishes it, the recount and the check catch it.
	v = open()
	if _, err := db.SQL().Exec(`UPDATE cogov_tally SET n = n + 3 WHERE vote_id = $1 AND item = '["A"]'`, v.ID); err != nil {
		t.Fatal(err)
	}
	if kv, kept, _, box, err := db.KeptTally(ctx, v.ID); err != nil || civicgrid.ErrorCode(civicgrid.CheckKept(kv, kept, box)) != civicgrid.ECONFLICT {
		t.Fatalf("a tampered line passes the check: %v", err)
	}
	if _, err := closeAndCheck(v); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("a result counted from a tampered line recounts: %v", err)
	}

	// A vote opened before kept tallies: counted from its box at the close.
	v = open()
	if _, err := db.SQL().Exec(`UPDATE cogov_votes SET box_digest = '' WHERE id = $1`, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`UPDATE cogov_tally SET n = 99 WHERE vote_id = $1`, v.ID); err != nil { // not read
		t.Fatal(err)
	}
	if _, _, ok, _, err := db.KeptTally(ctx, v.ID); ok || err != nil {
		t.Fatalf("a vote without a kept tally: %v %v", ok, err)
	}
	if closed, err := closeAndCheck(v); err != nil || closed.Result.Ballots != 7 {
		t.Fatalf("close from the box: %+v %v", closed.Result, err)
	}
}

// A ballot cast when the vote is past its closing time is refused even
// before staff close it.
func TestBallotAfterClosingTime(t *testing.T) {
	db := openTest(t)
	now := time.UnixMilli(1764800000000)
	u := cgUser(t, db, 1, civicgrid.RoleResident, cgBuilding)
	v := cgOpen(t, db, cgBuilding, now)
	_, hash := civicgrid.NewReceipt()
	if err := db.CastBallot(context.Background(), v.ID, u.ID, civicgrid.Ballot{ReceiptHash: hash, Choices: []string{"yes"}}, v.ClosesAt); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
		t.Fatalf("cast at closing time: %v", err)
	}
	if on, voted, _ := db.RollEntry(context.Background(), v.ID, u.ID); !on || voted {
		t.Fatalf("a refused ballot marked the roll: %v %v", on, voted)
	}
}

// Copy carries proposals, the roll's flags, the ballot box and the
// histories, and verifies the co-governance chains before committing.
func TestCopyCarriesCogovernance(t *testing.T) {
	ctx := context.Background()
	src, dst, _ := copyFixture(t, 1)
	now := time.UnixMilli(1764800000000)
	u := cgUser(t, src, 1, civicgrid.RoleResident, cgBuilding)
	if _, err := src.CreateProposal(ctx, civicgrid.Proposal{AreaCode: cgCommunity, Title: "座椅", Status: civicgrid.ProposalOpen, AuthorID: u.ID,
		Author: "居*", SupportNeeded: 5, CreatedAt: now}, civicgrid.CogovEvent{At: now, ActorID: u.ID, Actor: "居*", Action: civicgrid.CogovProposed}); err != nil {
		t.Fatal(err)
	}
	v := cgOpen(t, src, cgCommunity, now)
	code, hash := civicgrid.NewReceipt()
	if err := src.CastBallot(ctx, v.ID, u.ID, civicgrid.Ballot{ReceiptHash: hash, Choices: []string{"yes"}}, now); err != nil {
		t.Fatal(err)
	}
	rep, err := Copy(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if rep.CogovChains != 2 || rep.Rows["cogov_ballots"] != 1 || rep.Rows["cogov_roll"] != 1 {
		t.Fatalf("copy report %+v", rep)
	}
	if on, voted, err := dst.RollEntry(ctx, v.ID, u.ID); !on || !voted || err != nil {
		t.Fatalf("roll in the target: %v %v %v", on, voted, err)
	}
	if b, err := dst.BallotByReceipt(ctx, v.ID, civicgrid.ReceiptHash(code)); err != nil || b.Choices[0] != "yes" {
		t.Fatalf("ballot in the target: %+v %v", b, err)
	}
}
