package civicgrid

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSearchTokensAndQueries(t *testing.T) {
	got := SearchTokens("楼道漏水，LED灯")
	want := []string{"楼道", "道漏", "漏水", "le", "ed", "d灯", "楼", "道", "漏", "水", "l", "e", "d", "灯"}
	if !slices.Equal(got, want) {
		t.Errorf("tokens: %q, want %q", got, want)
	}
	terms, err := ParseSearch(`  "楼道漏水"* NEAR(灯) `)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"楼道", "道漏", "漏水"}, {"ne", "ea", "ar"}, {"灯"}}; !slices.EqualFunc(terms, want, slices.Equal) {
		t.Errorf("terms: %q, want %q", terms, want)
	}
	// Full-width letters from a Chinese input method fold to ASCII.
	if terms, _ := ParseSearch("ＬＥＤ"); !slices.EqualFunc(terms, [][]string{{"le", "ed"}}, slices.Equal) {
		t.Errorf("full-width: %q", terms)
	}
	for q, kind := range map[string]string{"": "required", " \t": "required", strings.Repeat("水", 101): "too_long",
		`"*"()`: "no_words", "a b c d e f g h i": "too_many_words"} {
		_, err := ParseSearch(q)
		var e *Error
		if !errors.As(err, &e) || e.Code != EINVALID || len(e.Problems) != 1 || e.Problems[0].Kind != kind {
			t.Errorf("%.20q: %v, want %s", q, err, kind)
		}
	}
	if _, err := ParseSearch(strings.Repeat("水", 100)); err != nil {
		t.Errorf("100 characters: %v", err)
	}
}

func TestSnippetEscapesAndMarks(t *testing.T) {
	got := Snippet(`<b>楼道</b>漏水 & "漏水"`, "漏水", 80)
	want := `&lt;b&gt;楼道&lt;/b&gt;<mark>漏水</mark> &amp; &#34;<mark>漏水</mark>&#34;`
	if got != want {
		t.Errorf("snippet:\n%s\nwant\n%s", got, want)
	}
	long := strings.Repeat("很", 100) + "漏水" + strings.Repeat("长", 100)
	got = Snippet(long, "漏水", 30)
	if !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") || !strings.Contains(got, "<mark>漏水</mark>") {
		t.Errorf("window: %s", got)
	}
}

func TestReachFollowsThePolicy(t *testing.T) {
	worker := Actor{UserID: 7, Via: "session", Grants: []RoleGrant{{Role: RoleGridWorker, AreaCode: "420102001001001"}}}
	r := worker.Reach(ActionReadCase)
	if !slices.Equal(r.Subtree, []string{"420102001001001"}) || !r.Own || len(r.Overlap) != 0 {
		t.Errorf("grid worker, cases: %+v", r)
	}
	resident := Actor{UserID: 8, Via: "session", Grants: []RoleGrant{{Role: RoleResident, AreaCode: "4201020010010010001"}}}
	if r := resident.Reach(ActionReadCase); len(r.Subtree) != 0 || !r.Own {
		t.Errorf("resident, cases: %+v", r)
	}
	if r := resident.Reach(ActionReadCogov); !slices.Equal(r.Overlap, []string{"4201020010010010001"}) {
		t.Errorf("resident, proposals: %+v", r)
	}
	// Notices: by audience, each grant with its role (scopeAudience).
	if r := resident.Reach(ActionReadNotice); len(r.Subtree) != 0 || len(r.Audience) != 1 || r.Audience[0].Role != RoleResident ||
		r.Audience[0].AreaCode != "4201020010010010001" || r.None() {
		t.Errorf("resident, notices: %+v", r)
	}
	staff := Actor{UserID: 9, Via: "session", Grants: []RoleGrant{{Role: RoleCommunityStaff, AreaCode: "420102001001"}}}
	if r := staff.Reach(ActionReadNotice); !slices.Equal(r.Subtree, []string{"420102001001"}) || len(r.Audience) != 1 {
		t.Errorf("staff, notices: %+v", r)
	}
	if AudienceTag(nil) != "*" || AudienceTag([]string{RoleResident}) != ","+RoleResident+"," {
		t.Errorf("audience tags %q %q", AudienceTag(nil), AudienceTag([]string{RoleResident}))
	}
	token := worker
	token.Via = "token"
	if r := token.Reach(ActionReadCase); r.Own {
		t.Errorf("a token reaches its creator's own: %+v", r)
	}
	if r := (Actor{}).Reach(ActionReadCase); !r.None() {
		t.Errorf("anonymous: %+v", r)
	}
}
