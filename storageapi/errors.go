package storageapi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

var (
	// ErrNotFound matches a 404: no such share (or no shares at all for a
	// lease), or no upload in progress for an abort or a write.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized matches a 401: a swissnum the server does not know,
	// or an upload secret other than the one the share was allocated with
	// (another client's upload in progress).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrConflict matches a 409: the bytes written differ from those already
	// written at that place. The share must be aborted.
	ErrConflict = errors.New("conflict with data already written")
	// ErrNotAllowed matches a 405: an abort of a share that is complete.
	ErrNotAllowed = errors.New("not allowed (the share is complete)")
	// ErrIdleTimeout: no byte moved for Options.IdleTimeout.
	ErrIdleTimeout = errors.New("timed out with no progress")
	// ErrWrongCertificate: the server's key is not the one its NURL pins.
	// Never retried.
	ErrWrongCertificate = errors.New("the server's certificate does not match its NURL")
	// ErrBadResponse: a 2xx answer that is not what the protocol says.
	ErrBadResponse = errors.New("unexpected answer")
)

// Error is what every Client method returns on failure. It names the
// server and the operation, never the swissnum, a secret or the storage
// index.
type Error struct {
	Server   string // Options.Name, e.g. "storage0 (127.0.0.1:40001)"
	Op       string // "version", "allocate", "write", "abort", "list", "read", "add-lease"
	Status   int    // HTTP status; 0 when no answer arrived
	Msg      string // the server's explanation, shortened, secrets removed
	Attempts int
	Err      error // cause: a sentinel above, a network error, the caller's ctx error

	final bool // not retried whatever the status says
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "storageapi: %s: %s", e.Server, e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Msg != "" {
		fmt.Fprintf(&b, ": %s", e.Msg)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is match statuses against the sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrNotAllowed:
		return e.Status == http.StatusMethodNotAllowed
	}
	return false
}

// IsRetryable reports whether err is one the client retries: a network
// error or idle timeout, 429, or a 5xx other than 501.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && !e.final && retryable(e.Status, e.Err)
}

// IsUnreachable reports whether err is a connection that could not be
// made at all (refused, no route, no such host): the server is down or
// not there, as opposed to one that answered badly or stalled.
func IsUnreachable(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

func retryable(status int, cause error) bool {
	switch {
	case status == 0:
		return cause != nil
	case status == http.StatusTooManyRequests:
		return true
	case status == http.StatusNotImplemented:
		return false
	}
	return status >= 500 && status <= 599
}

// maxMsg bounds Error.Msg.
const maxMsg = 300

// serverMessage shortens an error body to one line and removes the given
// secrets in raw and base64 form: Tahoe's server quotes bad
// X-Tahoe-Authorization values back in its 400 answers.
func serverMessage(body []byte, secrets []Secret) string {
	msg := strings.Join(strings.Fields(string(body)), " ")
	for _, s := range secrets {
		if s.IsZero() {
			continue
		}
		b := s.Bytes()
		for _, form := range []string{base64.StdEncoding.EncodeToString(b), string(b)} {
			msg = strings.ReplaceAll(msg, form, "(secret)")
		}
	}
	if len(msg) > maxMsg {
		msg = strings.ToValidUTF8(msg[:maxMsg], "") + "…"
	}
	return msg
}
