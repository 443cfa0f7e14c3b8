package civicgrid

import (
	"strings"
	"testing"
	"time"
)

// An ID number is 18 characters with a real date of birth and the check
// character of ISO 7064 MOD 11-2; a mistyped digit is caught; the error
// never repeats the number; masked, only the first and last four show.
func TestCheckIDNumber(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	// The standard's own example (GB 11643-1999, appendix): check X.
	if got, err := CheckIDNumber(" 110105 19491231 002x ", now); err != nil || got != "11010519491231002X" {
		t.Fatalf("the standard's example: %q %v", got, err)
	}
	if c := IDCheckChar("11010519491231002"); c != 'X' {
		t.Fatalf("check character %c", c)
	}
	for in, want := range map[string]string{
		"1101051949123100":   "18 characters",
		"11010519491231002Y": "check character",
		"11010519491231003X": "check character", // a digit mistyped
		"1101051949A231002X": "first 17 characters are digits",
		"01010519491231002X": "region code",
		"110105194913310023": "date of birth",
		"110105203001010020": "date of birth", // in the future
		"110105189912310020": "date of birth",
	} {
		_, err := CheckIDNumber(in, now)
		if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), want) {
			t.Errorf("%s: want %q, got %v", in, want, err)
		}
		if err != nil && strings.Contains(ErrorMessage(err), in) {
			t.Errorf("%s: the error repeats the number: %v", in, err)
		}
	}
	if m := MaskIDNumber("11010519491231002X"); m != "1101**********002X" {
		t.Fatalf("masked %q", m)
	}
	if MaskIDNumber("") != "" {
		t.Fatal("an empty number masks to something")
	}
	if n := VolunteerNumber("420102001001", 7); n != "420102001001-000007" {
		t.Fatalf("volunteer number %q", n)
	}
	// A bad ID number in a registration is named with the others.
	_, err := ProfileInput{Community: "420102001001", IDNumber: "11010519491231003X"}.Check(now)
	if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err)+problemText(err), "id_number") {
		t.Fatalf("registration with a bad ID number: %v", err)
	}
}

func problemText(err error) string {
	var b strings.Builder
	if e, ok := err.(*Error); ok {
		for _, p := range e.Problems {
			b.WriteString(p.Kind + ": " + p.Detail + "\n")
		}
	}
	return b.String()
}
