package civicgrid

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"strconv"
)

// Hash-chained histories. A module's history is a list of events per
// subject (a case, a proposal, a vote); each event carries a sequence
// number 1…n, the previous event's hash (GenesisHash for the first) and its
// own hash over the previous hash and its fields. A changed, removed or
// inserted event breaks the chain, which `civicgrid verify` reports. Cases
// (CaseEvent) and co-governance (CogovEvent) both chain this way.

// GenesisHash is the PrevHash of a subject's first event.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// LinkHash is an event's hash: SHA-256 over the previous event's hash and
// the event's fields, each written as its length, a colon and its bytes,
// so no two lists of fields hash alike by shifting a boundary.
func LinkHash(prev string, fields ...string) string {
	h := newLinkHasher(prev)
	for _, f := range fields {
		h.add(f)
	}
	return h.sum()
}

// linkHasher computes LinkHash field by field, for long lists (a vote's
// ballots) that need not be gathered first.
type linkHasher struct {
	h   hash.Hash
	num []byte
}

func newLinkHasher(prev string) *linkHasher {
	l := &linkHasher{h: sha256.New()}
	l.add(prev)
	return l
}

func (l *linkHasher) add(f string) {
	l.num = strconv.AppendInt(l.num[:0], int64(len(f)), 10)
	l.num = append(l.num, ':')
	l.h.Write(l.num)
	io.WriteString(l.h, f)
}

func (l *linkHasher) sum() string { return hex.EncodeToString(l.h.Sum(nil)) }

// Link is what chain verification needs of one event.
type Link struct {
	Seq      int
	PrevHash string
	Hash     string
	// Computed is the hash recomputed from the event's fields.
	Computed string
}

// Broken is how a chain breaks at one event.
type Broken int

const (
	ChainIntact   Broken = iota
	ChainSequence        // the sequence number is not the event's place: one was removed or inserted
	ChainLinkage         // the event does not link to the previous event's hash
	ChainAltered         // the event's hash does not match its fields
)

// CheckLinks walks a subject's events in order and returns the index of the
// first broken one and how it breaks, or -1 and ChainIntact.
func CheckLinks(links []Link) (int, Broken) {
	prev := GenesisHash
	for i, l := range links {
		switch {
		case l.Seq != i+1:
			return i, ChainSequence
		case l.PrevHash != prev:
			return i, ChainLinkage
		case l.Computed != l.Hash:
			return i, ChainAltered
		}
		prev = l.Hash
	}
	return -1, ChainIntact
}

// Describe says how a chain breaks, for a module's verify message.
func (b Broken) Describe() string {
	switch b {
	case ChainSequence:
		return "is out of sequence (an event is missing or inserted)"
	case ChainLinkage:
		return "does not link to the previous event's hash"
	case ChainAltered:
		return "was altered: its hash does not match its contents"
	}
	return "is intact"
}

// CheckEvents is CheckLinks over a module's events, each read as its Link.
func CheckEvents[E any](events []E, link func(E) Link) (int, Broken) {
	links := make([]Link, len(events))
	for i, e := range events {
		links[i] = link(e)
	}
	return CheckLinks(links)
}

// HashedData is an event's data as its hash reads it: JSON with sorted
// keys, "" when empty.
func HashedData(d map[string]string) string {
	if len(d) == 0 {
		return ""
	}
	b, _ := json.Marshal(d) // encoding/json sorts map keys
	return string(b)
}
