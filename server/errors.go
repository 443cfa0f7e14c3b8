package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/civicgrid/civicgrid"
)

// statusOf maps application error codes to HTTP status codes, in one table.
var statusOf = map[string]int{
	civicgrid.ECONFLICT:     http.StatusConflict,
	civicgrid.EINVALID:      http.StatusBadRequest,
	civicgrid.ENOTFOUND:     http.StatusNotFound,
	civicgrid.EOUTSIDE:      http.StatusUnprocessableEntity,
	civicgrid.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	civicgrid.EUNAUTHORIZED: http.StatusUnauthorized,
	civicgrid.EFORBIDDEN:    http.StatusForbidden,
	civicgrid.ETHROTTLED:    http.StatusTooManyRequests,
	civicgrid.ELOCKED:       http.StatusLocked,
	civicgrid.EINTERNAL:     http.StatusInternalServerError,
	civicgrid.ENOSPACE:      http.StatusInsufficientStorage,
	civicgrid.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

type errorBody struct {
	Error struct {
		Code     string              `json:"code"`
		Message  string              `json:"message"`
		Problems []civicgrid.Problem `json:"problems,omitempty"`
		// RequestID is the request's id (also in X-Request-ID and on
		// every log line of the request), for a user to quote.
		RequestID string `json:"request_id,omitempty"`
	} `json:"error"`
}

// writeError answers with the error's status and a JSON body; internal errors
// are logged and shown to the client only as "internal error".
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := civicgrid.ErrorCode(err)
	if code == civicgrid.EINTERNAL && errors.Is(r.Context().Err(), context.DeadlineExceeded) {
		// The request's deadline passed: whatever the driver made of the
		// cancellation, the database did not answer in time.
		err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
		code = civicgrid.EUNAVAILABLE
	}
	switch code {
	case civicgrid.EINTERNAL, civicgrid.ENOSPACE, civicgrid.EUNAVAILABLE:
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "code", code, "err", err)
	}
	if code == civicgrid.EUNAVAILABLE {
		w.Header().Set("Retry-After", "10")
	}
	var body errorBody
	body.Error.Code = code
	body.Error.Message = civicgrid.ErrorMessage(err)
	body.Error.RequestID = RequestID(r.Context())
	if e, ok := err.(*civicgrid.Error); ok {
		body.Error.Problems = e.Problems
	}
	if e := (*civicgrid.Error)(nil); errors.As(err, &e) && e.RetryAfter > 0 {
		// Whole seconds, rounded up: trying earlier is refused again.
		w.Header().Set("Retry-After", strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
	}
	if code == civicgrid.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="civicgrid"`)
	}
	writeJSON(w, statusOf[code], body)
}

// writeJSON encodes v first, so that the answer carries its length (and a
// small one is not worth compressing).
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Error("encode response", "err", err)
		http.Error(w, `{"error":{"code":"internal","message":"the answer could not be encoded"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
