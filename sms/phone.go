package sms

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// ErrInvalidPhone is wrapped by Normalize's errors.
var ErrInvalidPhone = errors.New("invalid phone number")

// ValidPhone reports whether phone is a normalized mainland China mobile
// number: 11 ASCII digits starting with 13–19. Use Normalize on user input.
func ValidPhone(phone string) bool {
	if len(phone) != 11 || phone[0] != '1' || phone[1] < '3' || phone[1] > '9' {
		return false
	}
	for i := range len(phone) {
		if phone[i] < '0' || phone[i] > '9' {
			return false
		}
	}
	return true
}

// Normalize turns user input such as "+86 138-1234-5678" into "13812345678".
// It drops spaces and dashes and an optional +86 or 0086 prefix; full-width
// digits and signs, common with Chinese input methods, are accepted.
func Normalize(phone string) (string, error) {
	var b strings.Builder
	for _, r := range phone {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune(r - '０' + '0')
		case r == '＋':
			b.WriteByte('+')
		case unicode.IsSpace(r) || r == '-' || r == '－' || r == '‐' || r == '–' || r == '—':
		default:
			b.WriteRune(r)
		}
	}
	s := b.String()
	if s == "" {
		return "", fmt.Errorf("%w: it is empty", ErrInvalidPhone)
	}
	if t, ok := strings.CutPrefix(s, "+86"); ok {
		s = t
	} else if t, ok := strings.CutPrefix(s, "0086"); ok {
		s = t
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", fmt.Errorf("%w: it contains %q; use digits, optionally with spaces, dashes and a +86 prefix", ErrInvalidPhone, r)
		}
	}
	if len(s) != 11 {
		return "", fmt.Errorf("%w: it has %d digits, a mainland China mobile number has 11", ErrInvalidPhone, len(s))
	}
	if !ValidPhone(s) {
		return "", fmt.Errorf("%w: a mainland China mobile number starts with 13 to 19, not %s", ErrInvalidPhone, s[:2])
	}
	return s, nil
}

// Mask hides the middle of a phone number for logs: 138****1234.
func Mask(phone string) string {
	if len(phone) < 7 {
		return strings.Repeat("*", len(phone))
	}
	return phone[:3] + strings.Repeat("*", len(phone)-7) + phone[len(phone)-4:]
}
