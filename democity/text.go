package democity

import "strings"

// text gathers many short strings in one buffer, so that a community's codes,
// names and phone numbers cost one allocation instead of one each: at 10⁶
// grids that is millions fewer objects for the garbage collector to trace.
// Each string handed out is a slice of the buffer; a strings.Builder never
// changes bytes once written, so they stay valid when the buffer grows.
type text struct{ b strings.Builder }

func newText(capacity int) *text {
	t := &text{}
	t.b.Grow(capacity)
	return t
}

// mark returns the position the next string starts at.
func (t *text) mark() int { return t.b.Len() }

// since returns what was written from position start.
func (t *text) since(start int) string { return t.b.String()[start:] }

func (t *text) str(s string) *text {
	t.b.WriteString(s)
	return t
}

func (t *text) char(r rune) *text {
	t.b.WriteRune(r)
	return t
}

// num writes n ≥ 0 in decimal, zero-padded to at least width digits.
func (t *text) num(n, width int) *text {
	var buf [20]byte
	i := len(buf)
	for n > 0 || i > len(buf)-width || i == len(buf) {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	t.b.Write(buf[i:])
	return t
}
