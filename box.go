package civicgrid

import (
	"crypto/sha256"
	"crypto/sha3"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// The kept tally of a vote: what the count needs from the ballot box,
// brought up to date in the same transaction as each ballot, so that
// closing a vote reads a few rows rather than every ballot.
//
//   - Yes/no and approval votes keep one line per option: how many ballots
//     chose it and the sum of their weights (an owners' area; 0 in other
//     votes). A blank approval ballot adds to no line, only to the number
//     of ballots.
//   - Score and ranked polls need whole ballots (a runoff follows each
//     ballot's order; a mean needs each score), so they keep one line per
//     distinct ballot: its choices and how many ballots hold them.
//
// Beside the lines, a digest of the box that does not depend on the order
// the ballots were cast in (BoxDigest), so the published result can be
// checked against the published ballots. Nothing in it names, numbers or
// dates a voter. The count itself is TallyBox; Tally counts a list of
// ballots by first making their kept tally (CountBox), so the close of a
// vote and every recount run the same code.

// DigestMuHash names the digest of results counted from a kept tally: a
// multiset hash of the ballots (BoxDigest). Results published before it
// have no scheme: their digest is BallotDigest's chain over the ballots in
// receipt order.
const DigestMuHash = "muhash3072-shake256"

// BoxItem is one line of a kept tally.
type BoxItem struct {
	// Key is an option (yes/no and approval votes) or a whole ballot's
	// choices as a JSON array (polls).
	Key    string `json:"key"`
	N      int    `json:"n"`
	Weight int64  `json:"weight,omitempty"`
}

// BoxCount is a vote's kept tally: the number of ballots, the lines in key
// order, and the digest of the box.
type BoxCount struct {
	Ballots int
	Items   []BoxItem
	Digest  BoxDigest
	// legacy is BallotDigest's chain digest, set only when recounting a
	// result published before kept tallies (it seeds that result's lots).
	legacy string
}

// perBallot reports whether the vote's kept tally holds whole ballots.
func perBallot(v Vote) bool { return v.Method.IsPoll() }

// BallotKey is a poll ballot's line in the kept tally: its choices as JSON.
func BallotKey(choices []string) string {
	if len(choices) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(choices)
	return string(b)
}

// BoxDelta gathers ballots for a kept tally: what a cast (or a batch of
// casts) adds to it.
type BoxDelta struct {
	Ballots int
	items   map[string]BoxItem
	digest  BoxDigest
}

// NewBoxDelta is an empty delta.
func NewBoxDelta() *BoxDelta { return &BoxDelta{items: map[string]BoxItem{}, digest: EmptyBoxDigest()} }

// Add counts one ballot of v.
func (d *BoxDelta) Add(v Vote, b Ballot) {
	d.Ballots++
	d.digest.Add(b)
	add := func(k string) {
		it := d.items[k]
		it.Key, it.N, it.Weight = k, it.N+1, it.Weight+b.Weight
		d.items[k] = it
	}
	if perBallot(v) {
		add(BallotKey(b.Choices))
		return
	}
	for _, c := range b.Choices {
		add(c)
	}
}

// Items are the delta's lines in key order.
func (d *BoxDelta) Items() []BoxItem {
	out := make([]BoxItem, 0, len(d.items))
	for _, it := range d.items {
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b BoxItem) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Digest is the digest of the delta's ballots alone; multiply it into the
// box's (BoxDigest.Mul).
func (d *BoxDelta) Digest() BoxDigest { return d.digest }

// CountBox makes the kept tally of a list of ballots: what a vote's kept
// tally must equal.
func CountBox(v Vote, ballots []Ballot) BoxCount {
	d := NewBoxDelta()
	for _, b := range ballots {
		d.Add(v, b)
	}
	return BoxCount{Ballots: d.Ballots, Items: d.Items(), Digest: d.digest}
}

// CheckKept compares a vote's kept tally with the count of its box: the
// auditor's check (and civicgrid verify's) that nothing changed the one
// without the other.
func CheckKept(v Vote, kept BoxCount, ballots []Ballot) error {
	c := CountBox(v, ballots)
	if c.Ballots != kept.Ballots || !slices.Equal(c.Items, kept.Items) || !c.Digest.Equal(kept.Digest) {
		return Errorf(ECONFLICT, "vote %d: its kept tally (%d ballots) is not the count of its ballot box (%d ballots): one of them was changed",
			v.ID, kept.Ballots, c.Ballots)
	}
	return nil
}

// published is the digest the result carries and its scheme.
func (c BoxCount) published() (digest, scheme string) {
	if c.legacy != "" {
		return c.legacy, ""
	}
	return c.Digest.Sum(), DigestMuHash
}

// ballotGroups turns a poll's lines back into ballots with their number.
func (c BoxCount) ballotGroups() []BallotGroup {
	gs := make([]BallotGroup, 0, len(c.Items))
	for _, it := range c.Items {
		var choices []string
		if err := json.Unmarshal([]byte(it.Key), &choices); err != nil {
			continue // not a ballot: CheckKept and the recount tell
		}
		gs = append(gs, BallotGroup{Choices: choices, N: it.N})
	}
	return gs
}

// line returns the line of key (zero when no ballot chose it).
func (c BoxCount) line(key string) BoxItem {
	i, ok := slices.BinarySearchFunc(c.Items, key, func(it BoxItem, k string) int { return strings.Compare(it.Key, k) })
	if !ok {
		return BoxItem{Key: key}
	}
	return c.Items[i]
}

// BallotGroup is N ballots with the same choices.
type BallotGroup struct {
	Choices []string
	N       int
}

// BoxDigest is a multiset hash of ballots (MuHash, Maitin-Shepard et al.;
// the construction Bitcoin Core uses for its UTXO set): each ballot is
// expanded to a 3072-bit number (SHAKE256 of its fields) and the box's
// digest is the product of its ballots' numbers modulo the prime
// 2³⁰⁷² − 1103717. A product does not depend on order, so it is kept up to
// date one ballot (or one batch) at a time, and equals what anyone
// computes from the published ballots; finding another set of ballots
// with the same product is as hard as a discrete logarithm in that group.
// The published digest is the SHA-256 of the product's 384 bytes.
type BoxDigest struct{ x *big.Int }

var (
	muPrime = func() *big.Int {
		p := new(big.Int).Lsh(big.NewInt(1), 3072)
		return p.Sub(p, big.NewInt(1103717))
	}()
	muC    = big.NewInt(1103717)
	muMask = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 3072), big.NewInt(1))
)

// MuHashPrime is the digest's modulus, 2³⁰⁷² − 1103717 (tests check it is prime).
func MuHashPrime() *big.Int { return new(big.Int).Set(muPrime) }

// EmptyBoxDigest is the digest of an empty box (the product 1).
func EmptyBoxDigest() BoxDigest { return BoxDigest{big.NewInt(1)} }

// ParseBoxDigest reads a digest kept as String gives it.
func ParseBoxDigest(s string) (BoxDigest, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 384 {
		return BoxDigest{}, Errorf(EINVALID, "a box digest is 384 bytes in hex")
	}
	x := new(big.Int).SetBytes(b)
	if x.Sign() == 0 || x.Cmp(muPrime) >= 0 {
		return BoxDigest{}, Errorf(EINVALID, "a box digest lies between 1 and the modulus")
	}
	return BoxDigest{x}, nil
}

// String is the product as 384 bytes in hex: the form the store keeps.
func (d BoxDigest) String() string {
	var b [384]byte
	d.x.FillBytes(b[:])
	return hex.EncodeToString(b[:])
}

// Sum is the published digest: SHA-256 of the product's 384 bytes, in hex.
func (d BoxDigest) Sum() string {
	var b [384]byte
	d.x.FillBytes(b[:])
	s := sha256.Sum256(b[:])
	return hex.EncodeToString(s[:])
}

// Equal reports whether two digests are of the same ballots.
func (d BoxDigest) Equal(e BoxDigest) bool { return d.x != nil && e.x != nil && d.x.Cmp(e.x) == 0 }

// Add multiplies one ballot into the digest.
func (d *BoxDigest) Add(b Ballot) { d.mul(ballotElement(b)) }

// Mul multiplies another digest into this one: the box's digest times a
// batch's.
func (d *BoxDigest) Mul(e BoxDigest) { d.mul(e.x) }

func (d *BoxDigest) mul(y *big.Int) {
	if d.x == nil {
		d.x = big.NewInt(1)
	}
	d.x = muReduce(new(big.Int).Mul(d.x, y))
}

// muReduce reduces x < p² modulo p = 2³⁰⁷² − c: x = hi·2³⁰⁷² + lo ≡ hi·c + lo.
func muReduce(x *big.Int) *big.Int {
	for x.BitLen() > 3072 {
		hi := new(big.Int).Rsh(x, 3072)
		x.And(x, muMask)
		x.Add(x, hi.Mul(hi, muC))
	}
	if x.Cmp(muPrime) >= 0 {
		x.Sub(x, muPrime)
	}
	return x
}

// ballotElement is a ballot's number: SHAKE256 over its fields — the
// receipt hash, the number of choices, each choice, the weight in decimal,
// each as a 4-byte big-endian length and its UTF-8 bytes — read as 384
// big-endian bytes, modulo p (never 0).
func ballotElement(b Ballot) *big.Int {
	var buf []byte
	field := func(s string) {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
		buf = append(buf, s...)
	}
	buf = append(buf, "civicgrid-ballot\x00"...)
	field(b.ReceiptHash)
	field(strconv.Itoa(len(b.Choices)))
	for _, c := range b.Choices {
		field(c)
	}
	field(strconv.FormatInt(b.Weight, 10))
	x := new(big.Int).SetBytes(sha3.SumSHAKE256(buf, 384))
	if x.Cmp(muPrime) >= 0 {
		x.Sub(x, muPrime)
	}
	if x.Sign() == 0 {
		x.SetInt64(1)
	}
	return x
}
