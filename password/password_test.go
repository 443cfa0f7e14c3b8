package password_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/password"
)

// fast keeps tests quick; Default is exercised by the round trip and the
// benchmark.
var fast = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func mustHash(t *testing.T, pw string, p password.Params) string {
	t.Helper()
	h, err := password.Hash(pw, p)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return h
}

func TestRoundTrip(t *testing.T) {
	for _, p := range []password.Params{password.Default, fast} {
		h := mustHash(t, "correct horse battery", p)
		ok, rehash, err := password.Verify("correct horse battery", h, p)
		if err != nil {
			t.Fatalf("Verify(%s): %v", h, err)
		}
		if got, want := ok, true; got != want {
			t.Errorf("Verify(%s) ok = %v, want %v", h, got, want)
		}
		if got, want := rehash, false; got != want {
			t.Errorf("Verify(%s) needsRehash = %v, want %v", h, got, want)
		}
	}
}

func TestDefaultFormat(t *testing.T) {
	h := mustHash(t, "x", password.Default)
	if got, want := h, "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(got, want) {
		t.Errorf("Hash = %q, want prefix %q", got, want)
	}
	parts := strings.Split(h, "$")
	if got, want := len(parts), 6; got != want {
		t.Fatalf("fields = %d, want %d", got, want)
	}
	// 16 and 32 bytes in unpadded base64.
	if got, want := len(parts[4]), 22; got != want {
		t.Errorf("salt length = %d, want %d", got, want)
	}
	if got, want := len(parts[5]), 43; got != want {
		t.Errorf("key length = %d, want %d", got, want)
	}
}

func TestWrongPassword(t *testing.T) {
	h := mustHash(t, "secret-one", fast)
	for _, pw := range []string{"secret-two", "", "Secret-one", "secret-one "} {
		ok, _, err := password.Verify(pw, h, fast)
		if err != nil {
			t.Fatalf("Verify(%q): %v", pw, err)
		}
		if got, want := ok, false; got != want {
			t.Errorf("Verify(%q) ok = %v, want %v", pw, got, want)
		}
	}
}

func TestSaltIsRandom(t *testing.T) {
	a, b := mustHash(t, "same", fast), mustHash(t, "same", fast)
	if a == b {
		t.Errorf("two hashes of the same password are equal: %s", a)
	}
}

// flip changes one base64 character so the decoded bytes differ.
func flip(s string) string {
	c := byte('A')
	if s[0] == 'A' {
		c = 'B'
	}
	return string(c) + s[1:]
}

func TestTampered(t *testing.T) {
	const pw = "tamper-proof"
	h := mustHash(t, pw, fast)
	parts := strings.Split(h, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := []struct {
		name    string
		encoded string
	}{
		{"salt", with(4, flip(parts[4]))},
		{"key", with(5, flip(parts[5]))},
		{"memory", with(3, "m=128,t=1,p=1")},
		{"time", with(3, "m=64,t=2,p=1")},
		{"threads", with(3, "m=64,t=1,p=2")},
		{"short key", with(5, parts[5][:22])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, _, err := password.Verify(pw, tt.encoded, fast)
			if got, want := ok, false; got != want {
				t.Errorf("Verify(%s) ok = %v, want %v (err %v)", tt.encoded, got, want, err)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	const salt = "c29tZXNhbHRzb21lc2FsdA"
	const key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuu5vGyB3Yy4jR1o3bqs3YfQ3Pj9S2yJm"},
		{"no leading $", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"missing key", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"missing version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"extra field", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$x"},
		{"v=18", "$argon2id$v=18$m=64,t=1,p=1$" + salt + "$" + key},
		{"v=16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"params order", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{"missing p", "$argon2id$v=19$m=64,t=1$" + salt + "$" + key},
		{"negative m", "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key},
		{"plus m", "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key},
		{"m over uint32", "$argon2id$v=19$m=4294967296,t=1,p=1$" + salt + "$" + key},
		{"m 4 GiB", "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key},
		{"m max uint32", "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key},
		{"m below 8p", "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key},
		{"t=0", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"huge t", "$argon2id$v=19$m=64,t=4000000000,p=1$" + salt + "$" + key},
		{"p=0", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{"p=256", "$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + key},
		{"bad salt base64", "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"bad key base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:42] + "*"},
		{"empty salt", "$argon2id$v=19$m=64,t=1,p=1$$" + key},
		{"empty key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$c29tZQ$" + key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			ok, _, err := password.Verify("pw", tt.encoded, fast)
			if err == nil {
				t.Fatalf("Verify(%q) err = nil, want error", tt.encoded)
			}
			if got, want := errors.Is(err, password.ErrMalformed), true; got != want {
				t.Errorf("errors.Is(%v, ErrMalformed) = %v, want %v", err, got, want)
			}
			if got, want := ok, false; got != want {
				t.Errorf("Verify(%q) ok = %v, want %v", tt.encoded, got, want)
			}
			// Rejected before hashing, so no memory is spent.
			if d := time.Since(start); d > 50*time.Millisecond {
				t.Errorf("Verify(%q) took %v; it should fail before hashing", tt.encoded, d)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	const pw = "rehash me please"
	h := mustHash(t, pw, fast)
	tests := []struct {
		name string
		want password.Params
		ok   bool
	}{
		{"same", fast, false},
		{"memory", password.Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"time", password.Params{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"threads", password.Params{Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}, true},
		{"salt", password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32}, true},
		{"key", password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64}, true},
		{"default", password.Default, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := password.Verify(pw, h, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			// The stored parameters are used, so the password still matches.
			if got, want := ok, true; got != want {
				t.Errorf("ok = %v, want %v", got, want)
			}
			if got, want := rehash, tt.ok; got != want {
				t.Errorf("needsRehash = %v, want %v", got, want)
			}
		})
	}
}

func TestHashInvalidParams(t *testing.T) {
	tests := []struct {
		name string
		p    password.Params
	}{
		{"zero", password.Params{}},
		{"t=0", password.Params{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"p=0", password.Params{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32}},
		{"huge m", password.Params{Memory: 1<<20 + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"short salt", password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32}},
		{"short key", password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := password.Hash("pw", tt.p); err == nil {
				t.Errorf("Hash(%+v) err = nil, want error", tt.p)
			}
		})
	}
}

// TestDummyVerifyCost guards against DummyVerify becoming a no-op; the bound
// is loose so a busy machine does not make it flaky.
func TestDummyVerifyCost(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	h := mustHash(t, "real account", password.Default)
	minOf := func(f func()) time.Duration {
		best := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	real := minOf(func() { _, _, _ = password.Verify("guess", h, password.Default) })
	dummy := minOf(func() { password.DummyVerify("guess") })
	if dummy < real/3 {
		t.Errorf("DummyVerify took %v, Verify %v; want comparable", dummy, real)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		password string
		phone    string
		want     error // nil or a sentinel, compared by Reason
	}{
		{"ok", "correct horse", "", nil},
		{"ok chinese", "我的密码很安全啊", "", nil},
		{"ok with phone", "tea-garden-42", "13812345678", nil},
		{"exactly 8", "abcdefg1", "", nil},
		{"exactly 128", strings.Repeat("ab", 64), "", nil},
		{"empty", "", "", password.ErrTooShort},
		{"7 chars", "abc1234", "", password.ErrTooShort},
		{"7 chinese runes, 21 bytes", "我的密码很安全", "", password.ErrTooShort},
		{"129 runes", strings.Repeat("a", 128) + "b", "", password.ErrTooLong},
		{"128 four-byte runes", strings.Repeat("😀😃", 64), "", nil},
		{"129 four-byte runes", strings.Repeat("😀", 129), "", password.ErrTooLong},
		{"invalid utf8", "abcdefg\xff", "", password.ErrInvalidUTF8},
		{"repeated", "aaaaaaaaa", "", password.ErrRepeated},
		{"repeated chinese", "哈哈哈哈哈哈哈哈", "", password.ErrRepeated},
		{"12345678", "12345678", "", password.ErrCommon},
		{"88888888", "88888888", "", password.ErrCommon},
		{"123456789", "123456789", "", password.ErrCommon},
		{"1234567890", "1234567890", "", password.ErrCommon},
		{"Password upper", "PASSWORD", "", password.ErrCommon},
		{"Password1", "Password1", "", password.ErrCommon},
		{"qwerty123", "Qwerty123", "", password.ErrCommon},
		{"abc12345", "abc12345", "", password.ErrCommon},
		{"a1234567", "A1234567", "", password.ErrCommon},
		{"iloveyou", "ILoveYou", "", password.ErrCommon},
		{"woaini1314", "WoAiNi1314", "", password.ErrCommon},
		{"5201314 too short", "5201314", "", password.ErrTooShort},
		{"5201314520", "5201314520", "", password.ErrCommon},
		{"phone last 8", "x12345678y!", "13812345678", password.ErrContainsPhone},
		{"whole phone", "13812345678", "+86 138-1234-5678", password.ErrContainsPhone},
		{"phone other digits", "pw38123456z", "13812345678", nil},
		{"short phone ignored", "pw1234567", "1234567", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := password.Validate(tt.password, tt.phone)
			if tt.want == nil {
				if err != nil {
					t.Errorf("Validate(%q, %q) = %v, want nil", tt.password, tt.phone, err)
				}
				return
			}
			if got, want := errors.Is(err, tt.want), true; got != want {
				t.Fatalf("Validate(%q, %q) = %v, want %v", tt.password, tt.phone, err, tt.want)
			}
			var pe *password.PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Validate error %T is not a *PolicyError", err)
			}
			if got, want := pe.Reason, tt.want.(*password.PolicyError).Reason; got != want {
				t.Errorf("Reason = %q, want %q", got, want)
			}
			if pe.Error() == "" {
				t.Error("empty message")
			}
		})
	}
}

func TestValidateMessages(t *testing.T) {
	tests := []struct {
		password, want string
	}{
		{"abc", "password must be at least 8 characters, got 3"},
		{strings.Repeat("x", 130), "password must be at most 128 characters, got 130"},
		{"aaaaaaaa", "password must not be a single repeated character"},
		{"Password1", "password is one of the most common passwords"},
	}
	for _, tt := range tests {
		if got, want := errString(password.Validate(tt.password, "")), tt.want; got != want {
			t.Errorf("Validate(%.10q…) = %q, want %q", tt.password, got, want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := password.Hash("correct horse battery staple", password.Default); err != nil {
			b.Fatal(err)
		}
	}
}
