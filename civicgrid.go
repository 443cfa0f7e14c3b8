// Package civicgrid holds the domain types of civicgrid and the interfaces its
// technology packages implement. It imports no storage, transport or UI code:
// cmd/civicgrid wires the packages together.
package civicgrid

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// Application error codes. Transport packages map them to status codes in one
// table (see server/errors.go), so handlers never pick a status by hand.
const (
	ECONFLICT     = "conflict"     // the object's state forbids the action
	EINTERNAL     = "internal"     // a bug or an unavailable dependency
	EINVALID      = "invalid"      // bad input; Details says what and where
	ENOTFOUND     = "not_found"    // no such object (or not visible to the actor)
	EOUTSIDE      = "outside"      // a location outside every grid of the jurisdiction
	ETOOLARGE     = "too_large"    // a body or file over its configured limit
	EUNAUTHORIZED = "unauthorized" // who is asking is unknown
	EFORBIDDEN    = "forbidden"    // who is asking may not do this
	ETHROTTLED    = "throttled"    // too many attempts; try again later
	ELOCKED       = "locked"       // the account is locked after failed logins
	ENOSPACE      = "no_space"     // the disk holding the data is full: nothing was saved
	EUNAVAILABLE  = "unavailable"  // the database (or another dependency) did not answer in time, or not at all: nothing was done
)

// Messages of the conditions a person can act on, in both languages of the
// interface (the API's other messages are English, but these reach
// residents through the report page and staff through the console).
const (
	msgNoSpace     = "存储空间已满，本次提交未保存。请联系系统管理员清理磁盘后重试。 The server's disk is full; nothing was saved. Ask the administrator to free space, then try again."
	msgUnavailable = "服务所依赖的系统（如数据库）暂时无响应，本次操作未完成。请稍后重试。 A system the service depends on (the database, say) is not answering; nothing was done. Try again in a minute."
)

// NoSpace reports whether err says the disk is full: ENOSPC from a file
// write, or a database's own report of it, which the store wraps to match
// ENOSPC (sqlstore).
func NoSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) }

// unavailable reports whether err says a dependency did not answer: the
// deadline passed, or the network refused or dropped the connection (a
// database that is down).
func unavailable(err error) bool {
	var netErr *net.OpError
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr)
}

// Problem is one finding about bad input: where it is and what is wrong.
type Problem struct {
	Index  int     `json:"index"`             // feature or row index in the input, -1 when not tied to one
	Code   string  `json:"code,omitempty"`    // the area code concerned, when known
	Kind   string  `json:"kind"`              // machine-readable reason, e.g. "ring_not_closed"
	Detail string  `json:"detail"`            // human-readable reason
	AreaM2 float64 `json:"area_m2,omitempty"` // size of an overlap, gap or protrusion
	// At is where on the map the problem is, [longitude, latitude] in
	// WGS-84, when it is at one place: a crossing, an unclosed ring's end,
	// the largest piece of an overlap, a gap or a part outside the parent.
	At *[2]float64 `json:"at,omitempty"`
}

func (p Problem) String() string {
	s := ""
	if p.Index >= 0 {
		s = fmt.Sprintf("feature %d: ", p.Index)
	}
	if p.Code != "" {
		s += p.Code + ": "
	}
	s += p.Kind + ": " + p.Detail
	if p.AreaM2 > 0 {
		s += fmt.Sprintf(" (%.1f m²)", p.AreaM2)
	}
	return s
}

// Error is an application error: a code from the list above, a message meant
// for the person who sent the request, and optional itemised problems.
type Error struct {
	Code     string
	Message  string
	Problems []Problem
	// RetryAfter, on a refusal that lasts a known time (ETHROTTLED), is
	// how long until trying again may succeed (the API's Retry-After).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if len(e.Problems) == 0 {
		return e.Message
	}
	s := fmt.Sprintf("%s (%d problems)", e.Message, len(e.Problems))
	for i, p := range e.Problems {
		if i == 10 {
			s += fmt.Sprintf("\n  … and %d more", len(e.Problems)-10)
			break
		}
		s += "\n  " + p.String()
	}
	return s
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the application code of err, EINTERNAL for foreign errors
// and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case NoSpace(err):
		return ENOSPACE
	case unavailable(err):
		return EUNAVAILABLE
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the user-facing message of err; foreign errors get a
// generic text so internals do not leak to clients.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Message
	case NoSpace(err):
		return msgNoSpace
	case unavailable(err):
		return msgUnavailable
	}
	return "internal error"
}
