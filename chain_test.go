package civicgrid_test

import (
	"testing"
	"time"

	"github.com/civicgrid/civicgrid"
)

func TestLinkHashSeparatesFields(t *testing.T) {
	if civicgrid.LinkHash("p", "ab", "c") == civicgrid.LinkHash("p", "a", "bc") {
		t.Fatal("moving a field boundary must change the hash")
	}
	if civicgrid.LinkHash("p", "a") == civicgrid.LinkHash("q", "a") {
		t.Fatal("the previous hash must count")
	}
}

func TestCheckLinks(t *testing.T) {
	chain := func(n int) []civicgrid.Link {
		var ls []civicgrid.Link
		prev := civicgrid.GenesisHash
		for i := 1; i <= n; i++ {
			h := civicgrid.LinkHash(prev, string(rune('a'+i)))
			ls = append(ls, civicgrid.Link{Seq: i, PrevHash: prev, Hash: h, Computed: h})
			prev = h
		}
		return ls
	}
	if i, b := civicgrid.CheckLinks(chain(3)); i != -1 || b != civicgrid.ChainIntact {
		t.Fatalf("intact chain: %d %v", i, b)
	}
	for name, tc := range map[string]struct {
		tamper func([]civicgrid.Link) []civicgrid.Link
		at     int
		want   civicgrid.Broken
	}{
		"removed":  {func(l []civicgrid.Link) []civicgrid.Link { return append(l[:1], l[2:]...) }, 1, civicgrid.ChainSequence},
		"relinked": {func(l []civicgrid.Link) []civicgrid.Link { l[2].PrevHash = l[0].Hash; return l }, 2, civicgrid.ChainLinkage},
		"altered":  {func(l []civicgrid.Link) []civicgrid.Link { l[1].Computed = "x"; return l }, 1, civicgrid.ChainAltered},
	} {
		if i, b := civicgrid.CheckLinks(tc.tamper(chain(3))); i != tc.at || b != tc.want {
			t.Errorf("%s: got %d %v, want %d %v", name, i, b, tc.at, tc.want)
		}
	}
}

// A case event's hash is what it was before the chain code was shared
// with other modules: stored histories keep verifying.
func TestCaseEventHashUnchanged(t *testing.T) {
	ev := civicgrid.CaseEvent{CaseID: 7, Seq: 2, At: time.UnixMilli(1764800000000), ActorID: 3, Actor: "张* 138****0000", Action: "register",
		From: "reported", To: "registered", Note: "ok", Data: map[string]string{"b": "2", "a": "1"}, Attachments: []string{"x", "y"}, PrevHash: civicgrid.GenesisHash}
	if got := ev.ChainHash(); got != "fdd71c2f2aa724e0b1f8fe652e57f702cabd4be6125fe3197a7830adbb9bea22" {
		t.Fatalf("hash %s changed", got)
	}
}
