// Package password hashes passwords with argon2id, stores them as PHC
// strings, and checks new passwords against a small policy.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// Default follows OWASP's argon2id recommendation (m=19 MiB, t=2, p=1).
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on accepted parameters. They apply to stored strings as well as to
// Hash, so a tampered or corrupted row cannot make Verify allocate gigabytes
// or spin for minutes.
const (
	maxMemory  = 1 << 20 // KiB, 1 GiB
	maxTime    = 32
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 128
)

// ErrMalformed is returned (wrapped) by Verify when the stored string is not
// a PHC argon2id string this package can check.
var ErrMalformed = errors.New("password: malformed hash")

// sem bounds concurrent argon2 calls: each one holds Memory KiB, so without
// a bound a login flood could exhaust memory.
var sem = make(chan struct{}, max(2, runtime.NumCPU()))

func idKey(password, salt []byte, p Params) []byte {
	sem <- struct{}{}
	defer func() { <-sem }()
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

func (p Params) check() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time t=%d out of range 1..%d", p.Time, maxTime)
	case p.Threads < 1:
		return errors.New("threads p=0, want at least 1")
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		// argon2 silently raises memory below 8*p; refuse it so the encoded
		// parameters are the ones actually used.
		return fmt.Errorf("memory m=%d KiB out of range %d..%d", p.Memory, 8*uint32(p.Threads), maxMemory)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length %d out of range %d..%d", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length %d out of range %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

var b64 = base64.RawStdEncoding.Strict()

// Hash derives an argon2id key with a fresh random salt and returns it as
// "$argon2id$v=19$m=<KiB>,t=<time>,p=<threads>$<salt>$<key>".
func Hash(password string, p Params) (string, error) {
	if err := p.check(); err != nil {
		return "", fmt.Errorf("password: invalid params: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := idKey([]byte(password), salt, p)
	return encode(p, salt, key), nil
}

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches the PHC string encoded, comparing
// keys in constant time. needsRehash is true when encoded's parameters
// (including salt and key length) differ from want; act on it only when ok,
// by storing a fresh Hash(password, want). A malformed string is an error.
func Verify(password, encoded string, want Params) (ok, needsRehash bool, err error) {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	got := idKey([]byte(password), salt, p)
	ok = subtle.ConstantTimeCompare(got, key) == 1
	return ok, p != want, nil
}

// DummyVerify spends the same time as a Verify against a hash made with
// Default; call it for unknown accounts so response time does not reveal
// which phone numbers have accounts.
func DummyVerify(password string) {
	p := Default
	// A zero key is not the output of any known password, so this never
	// matches; the work done is identical to a real Verify.
	dummy := encode(p, make([]byte, p.SaltLen), make([]byte, p.KeyLen))
	_, _, _ = Verify(password, dummy, p)
}

func decode(encoded string) (p Params, salt, key []byte, err error) {
	bad := func(format string, args ...any) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("want 5 $-separated fields")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm %q, want argon2id", clip(parts[1]))
	}
	v, ok := strings.CutPrefix(parts[2], "v=")
	if !ok {
		return bad("missing version")
	}
	if n, err := parseUint(v, 32); err != nil || n != argon2.Version {
		return bad("version %q, want %d", clip(v), argon2.Version)
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return bad("want parameters m=,t=,p=")
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		s, ok := strings.CutPrefix(fields[i], name)
		if !ok {
			return bad("parameter %d: want %s", i+1, name)
		}
		bits := 32
		if name == "p=" {
			bits = 8
		}
		if vals[i], err = parseUint(s, bits); err != nil {
			return bad("parameter %s%s", name, clip(s))
		}
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return bad("salt: %v", err)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return bad("key: %v", err)
	}
	p = Params{
		Memory:  uint32(vals[0]),
		Time:    uint32(vals[1]),
		Threads: uint8(vals[2]),
		SaltLen: uint32(len(salt)),
		KeyLen:  uint32(len(key)),
	}
	if err := p.check(); err != nil {
		return bad("%v", err)
	}
	return p, salt, key, nil
}

// parseUint accepts only canonical decimal (no sign, no leading zeros), so
// each parameter set has exactly one encoding.
func parseUint(s string, bits int) (uint64, error) {
	if len(s) > 1 && s[0] == '0' {
		return 0, errors.New("leading zero")
	}
	return strconv.ParseUint(s, 10, bits)
}

// clip keeps error messages short when the input is garbage.
func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
