package password

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Policy limits.
const (
	MinRunes = 8
	MaxRunes = 128
	MaxBytes = 512 // implied by MaxRunes for valid UTF-8; checked so it stays true if MaxRunes grows
)

// Reason codes of a PolicyError, stable so a UI can translate them.
const (
	ReasonInvalidUTF8   = "invalid_utf8"
	ReasonTooShort      = "too_short"
	ReasonTooLong       = "too_long"
	ReasonRepeated      = "repeated"
	ReasonCommon        = "common"
	ReasonContainsPhone = "contains_phone"
)

// PolicyError says why Validate rejected a password. Reason is a stable code;
// Error gives the English explanation.
type PolicyError struct {
	Reason  string
	Message string
}

func (e *PolicyError) Error() string { return e.Message }

// Is matches on Reason, so errors.Is(err, ErrTooShort) works although the
// message carries details.
func (e *PolicyError) Is(target error) bool {
	t, ok := target.(*PolicyError)
	return ok && t.Reason == e.Reason
}

// Sentinels for errors.Is; Validate returns errors with the same Reason.
var (
	ErrInvalidUTF8   = &PolicyError{ReasonInvalidUTF8, "password is not valid UTF-8 text"}
	ErrTooShort      = &PolicyError{ReasonTooShort, fmt.Sprintf("password must be at least %d characters", MinRunes)}
	ErrTooLong       = &PolicyError{ReasonTooLong, fmt.Sprintf("password must be at most %d characters", MaxRunes)}
	ErrRepeated      = &PolicyError{ReasonRepeated, "password must not be a single repeated character"}
	ErrCommon        = &PolicyError{ReasonCommon, "password is one of the most common passwords"}
	ErrContainsPhone = &PolicyError{ReasonContainsPhone, "password must not contain your phone number"}
)

// common holds the most used passwords of at least MinRunes characters,
// lower-case; shorter ones already fail the length rule. Chinese users
// favour digit runs and "I love you" numerals (520, 1314, woaini).
var common = map[string]bool{}

func init() {
	for _, s := range []string{
		"12345678", "123456789", "1234567890", "0123456789", "87654321", "987654321",
		"11111111", "111111111", "00000000", "66666666", "88888888", "99999999",
		"12341234", "11223344", "12121212", "123123123", "147258369", "123456abc",
		"1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "qwertyui", "qwertyuiop", "qwerty123",
		"asdfghjk", "zxcvbnm1", "password", "password1", "password123", "passw0rd",
		"p@ssw0rd", "abc12345", "abcd1234", "abc123456", "a1234567", "a12345678",
		"aa123456", "iloveyou", "iloveyou1", "woaini1314", "woaini520", "woaini123",
		"5201314", "52013140", "5201314520", "1314520520", "13145201314",
		"wodemima", "admin123", "administrator", "welcome1", "sunshine", "princess",
		"football", "baseball", "superman", "12qwaszx", "q1w2e3r4", "zxcvbnm123",
	} {
		common[s] = true
	}
}

// Validate checks a new password against the policy: MinRunes..MaxRunes
// characters and at most MaxBytes bytes, not a common password
// (case-insensitive), not one repeated character and, if phone is given, not containing
// its last 8 digits. The error is a *PolicyError.
func Validate(password, phone string) error {
	if !utf8.ValidString(password) {
		return ErrInvalidUTF8
	}
	n := utf8.RuneCountInString(password)
	switch {
	case n > MaxRunes:
		return &PolicyError{ReasonTooLong, fmt.Sprintf("password must be at most %d characters, got %d", MaxRunes, n)}
	case len(password) > MaxBytes:
		return &PolicyError{ReasonTooLong, fmt.Sprintf("password must be at most %d bytes, got %d", MaxBytes, len(password))}
	case n < MinRunes:
		return &PolicyError{ReasonTooShort, fmt.Sprintf("password must be at least %d characters, got %d", MinRunes, n)}
	}
	if common[strings.ToLower(password)] {
		return ErrCommon
	}
	first, _ := utf8.DecodeRuneInString(password)
	if strings.Trim(password, string(first)) == "" {
		return ErrRepeated
	}
	if d := digits(phone); len(d) >= 8 && strings.Contains(password, d[len(d)-8:]) {
		return ErrContainsPhone
	}
	return nil
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
