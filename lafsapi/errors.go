package lafsapi

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

var (
	// ErrNotEnoughServers: the gateway could not place shares on
	// shares.happy servers (a 500 with UploadUnhappinessError), or knows no
	// servers at all. Retried: servers may come back.
	ErrNotEnoughServers = errors.New("not enough storage servers connected")
	// ErrRefused: the gateway reached enough storage servers, none failed
	// with an error, and still too few took this object's shares: they
	// refuse this content for now (a partial upload of it that its client
	// abandoned holds the shares, for up to 30 minutes) or they are full.
	// errors.Is(err, ErrNotEnoughServers) holds too. Retried quickly, never
	// with the long schedule (docs/lafsapi.md, Retries).
	ErrRefused error = refusedError{}
	// ErrNotFound matches a 404 (missing child) and a missing name.
	ErrNotFound = errors.New("not found")
	// ErrGone matches a 410: the object cannot be recovered from the grid.
	ErrGone = errors.New("gone (unrecoverable)")
	// ErrConflict matches a 409, and an Unlink whose name no longer points
	// to the expected cap.
	ErrConflict = errors.New("conflict")
	// ErrIdleTimeout: no bytes moved for the idle timeout (plus the size
	// allowance while the gateway stores shares).
	ErrIdleTimeout = errors.New("timed out with no progress")
	// ErrUnreachable: the gateway could not be connected to, and no
	// attempt of this client ever reached it (a wrong URL, a node that is
	// not running). Its few quick attempts were used (Options.FirstContact).
	ErrUnreachable = errors.New("gateway unreachable")
)

// Error is what every Client method returns on failure. It never holds a
// cap: messages from the gateway are cleaned with RedactCaps.
type Error struct {
	Op       string // "upload", "mkdir-immutable", "info", "link", ...
	Status   int    // HTTP status; 0 when no response arrived
	Msg      string // the gateway's explanation (first lines, caps removed)
	Attempts int    // attempts made
	Err      error  // cause: ErrNotEnoughServers, a network error, ctx error, ...

	final       bool   // not retried whatever the status says (bad local input, stream already consumed)
	unreachable string // the gateway's URL when it was never reached (ErrUnreachable)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("lafsapi: ")
	b.WriteString(e.Op)
	if e.unreachable != "" {
		b.WriteString(": cannot reach the gateway at ")
		b.WriteString(e.unreachable)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return RedactCaps(b.String())
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is match status codes against the sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrGone:
		return e.Status == http.StatusGone
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrUnreachable:
		return e.unreachable != ""
	}
	return false
}

// IsNotFound reports a 404 or a missing name.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsGone reports a 410: the object is unrecoverable.
func IsGone(err error) bool { return errors.Is(err, ErrGone) }

// IsConflict reports a 409 or an Unlink that found another cap.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

// IsRetryable reports whether err is one the client retries (docs/lafsapi.md):
// network errors and timeouts, 502, 503, 504, 429, and a 500 that says
// not enough servers.
func IsRetryable(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return !e.final && retryable(e.Status, e.Err)
}

func retryable(status int, cause error) bool {
	switch status {
	case 0:
		return cause != nil && !errors.Is(cause, ErrBadCap) && !errors.Is(cause, errCallerDone)
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout,
		http.StatusTooManyRequests:
		return true
	case http.StatusInternalServerError:
		return errors.Is(cause, ErrNotEnoughServers)
	}
	return false
}

// refusedError is ErrRefused: a kind of ErrNotEnoughServers.
type refusedError struct{}

func (refusedError) Error() string {
	return "the storage servers refuse this content for now (an interrupted upload of it may hold its shares, or they are full)"
}

func (refusedError) Is(target error) bool { return target == ErrNotEnoughServers }

// errCallerDone marks an attempt ended because the caller's ctx ended.
var errCallerDone = errors.New("cancelled")

// notEnoughServers recognises the gateway's happiness failure in a 500 body.
func notEnoughServers(body string) bool {
	return strings.Contains(body, "UploadUnhappinessError") ||
		strings.Contains(body, "shares could be placed") ||
		strings.Contains(body, "NoServersError")
}

// selectionRE reads the progress report of Tahoe's server selection
// (allmydata/immutable/upload.py, _get_progress_message).
var selectionRE = regexp.MustCompile(`want to place shares on at least (\d+) servers .*?` +
	`sent \d+ queries to (\d+) servers, \d+ queries placed some shares, \d+ placed none ` +
	`\(of which \d+ placed none due to the server being full and (\d+) placed none due to an error\)`)

// refusedContent recognises, in an unhappiness body, servers that refused
// the content rather than servers missing: at least shares.happy servers
// were contacted and none answered with an error.
func refusedContent(body string) bool {
	m := selectionRE.FindStringSubmatch(body)
	if m == nil {
		return false
	}
	happy, _ := strconv.Atoi(m[1])
	servers, _ := strconv.Atoi(m[2])
	errs, _ := strconv.Atoi(m[3])
	return happy > 0 && servers >= happy && errs == 0
}

var (
	capRE  = regexp.MustCompile(`(?i)URI(?::|%3A)[A-Z0-9-]+(?::|%3A)[A-Za-z0-9:%._-]*`)
	tagRE  = regexp.MustCompile(`<[^>]*>`)
	wsRE   = regexp.MustCompile(`\s+`)
	maxMsg = 400
)

// RedactCaps replaces everything in s that looks like a capability
// (plain or percent-escaped) with "URI:…(redacted)".
func RedactCaps(s string) string {
	return capRE.ReplaceAllString(s, "URI:…(redacted)")
}

// bodyMessage turns an error body into a short explanation: the exception
// line of a Python traceback, the text of an HTML page, or the first
// lines of plain text; caps removed, at most maxMsg bytes.
func bodyMessage(body string) string {
	body = strings.TrimSpace(body)
	var msg string
	switch {
	case body == "":
		return ""
	case strings.HasPrefix(body, "Traceback"):
		lines := strings.Split(body, "\n")
		for i := len(lines) - 1; i >= 0 && msg == ""; i-- {
			msg = strings.TrimSpace(lines[i])
		}
	case strings.HasPrefix(body, "<"):
		msg = html2text(body)
	default:
		lines := strings.SplitN(body, "\n", 4)
		if len(lines) > 3 {
			lines = lines[:3]
		}
		msg = strings.Join(lines, " / ")
	}
	msg = RedactCaps(wsRE.ReplaceAllString(msg, " "))
	if len(msg) > maxMsg {
		msg = strings.ToValidUTF8(msg[:maxMsg], "") + "…"
	}
	return msg
}

// html2text drops tags and style blocks, and entity-decodes the few
// entities Twisted writes.
func html2text(s string) string {
	if i := strings.Index(s, "</style>"); i >= 0 {
		s = s[i+len("</style>"):]
	}
	s = tagRE.ReplaceAllString(s, " ")
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", `"`, "&#39;", "'")
	return strings.TrimSpace(r.Replace(s))
}
