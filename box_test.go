package civicgrid_test

import (
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/civicgrid/civicgrid"
)

// The digest's modulus is the safe prime 2³⁰⁷² − 1103717.
func TestMuHashPrime(t *testing.T) {
	p := civicgrid.MuHashPrime()
	if p.BitLen() != 3072 || !p.ProbablyPrime(4) {
		t.Fatal("the modulus is not a 3072-bit prime")
	}
	q := new(big.Int).Rsh(p, 1) // (p-1)/2
	if !q.ProbablyPrime(4) {
		t.Fatal("the modulus is not a safe prime")
	}
}

// The box digest does not depend on the order of the ballots, nor on how
// they were gathered into batches; it changes with any ballot's receipt,
// choices or weight; it survives being kept as text.
func TestBoxDigest(t *testing.T) {
	bs := yesNo(5, 3, 2)
	bs[0].Weight = 8950
	one := civicgrid.EmptyBoxDigest()
	for _, b := range bs {
		one.Add(b)
	}
	rev := slices.Clone(bs)
	slices.Reverse(rev)
	rand.Shuffle(len(rev), func(i, j int) { rev[i], rev[j] = rev[j], rev[i] })
	// Three batches multiplied into a kept digest, as the store does.
	kept := civicgrid.EmptyBoxDigest()
	for _, part := range [][]civicgrid.Ballot{rev[:3], rev[3:4], rev[4:]} {
		d := civicgrid.EmptyBoxDigest()
		for _, b := range part {
			d.Add(b)
		}
		back, err := civicgrid.ParseBoxDigest(kept.String())
		if err != nil {
			t.Fatal(err)
		}
		back.Mul(d)
		kept = back
	}
	if !kept.Equal(one) || kept.Sum() != one.Sum() {
		t.Fatal("the digest depends on the order or the batches")
	}
	for name, change := range map[string]func(*civicgrid.Ballot){
		"choice":  func(b *civicgrid.Ballot) { b.Choices = []string{"no"} },
		"receipt": func(b *civicgrid.Ballot) { b.ReceiptHash += "0" },
		"weight":  func(b *civicgrid.Ballot) { b.Weight++ },
		"split":   func(b *civicgrid.Ballot) { b.Choices = []string{"ye", "s"} },
	} {
		c := slices.Clone(bs)
		c[0].Choices = slices.Clone(c[0].Choices)
		change(&c[0])
		d := civicgrid.EmptyBoxDigest()
		for _, b := range c {
			d.Add(b)
		}
		if d.Equal(one) {
			t.Errorf("a changed %s gives the same digest", name)
		}
	}
	for _, bad := range []string{"", "zz", "01", civicgrid.MuHashPrime().Text(16)} {
		if _, err := civicgrid.ParseBoxDigest(bad); err == nil {
			t.Errorf("digest %q parsed", bad)
		}
	}
}

// The count of a kept tally equals the count of the ballots, for every kind
// of vote, and the kept tally of a box equals its lines built one ballot at
// a time; CheckKept tells a changed line, number or digest.
func TestTallyBoxEqualsTally(t *testing.T) {
	rm, _ := civicgrid.LookupQuorumRule("residents_meeting")
	sm, _ := civicgrid.LookupQuorumRule("simple_majority")
	om := civicgrid.OwnersQuorumRules[0]
	owners := yesNo(4, 2, 1)
	for i := range owners {
		owners[i].Weight = int64(5000 + 1000*i)
	}
	for _, tc := range []struct {
		name string
		v    civicgrid.Vote
		bs   []civicgrid.Ballot
	}{
		{"yes/no", civicgrid.Vote{ID: 1, Method: civicgrid.MethodYesNo, Options: []string{"yes", "no", "abstain"}, Rule: rm}, yesNo(6, 3, 1)},
		{"approval with a blank ballot", civicgrid.Vote{ID: 2, Method: civicgrid.MethodApproval, Options: []string{"A", "B", "C"}, Winners: 1, Rule: rm},
			ballots([]string{"A", "B"}, []string{"A"}, []string{}, []string{"C"}, []string{"A", "C"})},
		{"ranked", civicgrid.Vote{ID: 3, Method: civicgrid.MethodRanked, Options: []string{"A", "B", "C"}, Rule: sm},
			many(false, "3×A B", "2×B C", "2×C B", "1×")},
		{"score", civicgrid.Vote{ID: 4, Method: civicgrid.MethodScore, Options: []string{"A", "B"}, Rule: sm},
			many(true, "2×5 -", "1×3 4", "3×0 5")},
		{"owners", civicgrid.Vote{ID: 5, Method: civicgrid.MethodYesNo, Options: []string{"yes", "no", "abstain"}, Rule: om,
			Electorate: civicgrid.ElectorateOwners, RollArea: 60000}, owners},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := civicgrid.Tally(tc.v, 10, tc.bs)
			kept := civicgrid.CountBox(tc.v, tc.bs)
			got := civicgrid.TallyBox(tc.v, 10, kept)
			if !equalJSON(t, got, want) || got.DigestScheme != civicgrid.DigestMuHash || got.Ballots != len(tc.bs) {
				t.Fatalf("kept count %+v, count %+v", got, want)
			}
			if err := civicgrid.CheckKept(tc.v, kept, tc.bs); err != nil {
				t.Fatal(err)
			}
			// Tampered tallies: a line moved, a ballot added to the
			// number only, the digest of another box.
			moved := kept
			moved.Items = slices.Clone(kept.Items)
			moved.Items[0].N++
			more := kept
			more.Ballots++
			other := kept
			other.Digest = civicgrid.CountBox(tc.v, tc.bs[1:]).Digest
			for name, k := range map[string]civicgrid.BoxCount{"line": moved, "number": more, "digest": other} {
				if err := civicgrid.CheckKept(tc.v, k, tc.bs); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
					t.Errorf("tampered %s: %v", name, err)
				}
			}
			// A result counted from a tampered line does not recount.
			closed := tc.v
			closed.Status, closed.RollSize = civicgrid.VoteClosed, 10
			r := civicgrid.TallyBox(tc.v, 10, moved)
			closed.Result = &r
			if err := civicgrid.Recount(closed, tc.bs); civicgrid.ErrorCode(err) != civicgrid.ECONFLICT {
				t.Errorf("a result of a tampered tally recounts: %v", err)
			}
			closed.Result = &want
			if err := civicgrid.Recount(closed, tc.bs); err != nil {
				t.Error(err)
			}
		})
	}
}

// A result published before kept tallies (no digest scheme: the chain
// digest over the ballots in receipt order) still recounts, and a changed
// ballot still fails it.
func TestRecountLegacyDigest(t *testing.T) {
	rm, _ := civicgrid.LookupQuorumRule("residents_meeting")
	v := civicgrid.Vote{ID: 7, Method: civicgrid.MethodYesNo, Options: []string{"yes", "no", "abstain"}, Rule: rm, Status: civicgrid.VoteClosed, RollSize: 5}
	bs := yesNo(3, 1, 0)
	// As it was published then: the stored JSON had no digest_scheme.
	r := civicgrid.Tally(v, 5, bs)
	r.BallotDigest, r.DigestScheme = civicgrid.BallotDigest(bs), ""
	raw, _ := json.Marshal(r)
	var old civicgrid.Result
	if err := json.Unmarshal(raw, &old); err != nil {
		t.Fatal(err)
	}
	v.Result = &old
	if err := civicgrid.Recount(v, bs); err != nil {
		t.Fatal(err)
	}
	bs[0].Choices = []string{"no"}
	if err := civicgrid.Recount(v, bs); err == nil {
		t.Fatal("a changed ballot recounts equal under the chain digest")
	}
}
