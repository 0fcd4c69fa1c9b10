package lafsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// call describes one logical request; do retries it.
type call struct {
	op     string
	method string
	path   string // relative to the gateway root, already escaped
	query  url.Values
	open   func() (io.ReadCloser, error) // request body; nil = none
	size   int64                         // body size, -1 = unknown (chunked)
	ctype  string
	bytes  bool                         // count the body against Options.Bytes
	object bool                         // wait on Options.Objects once
	ok     []int                        // accepted statuses; default 200
	read   func(io.Reader) error        // consumes a successful response body
	stream bool                         // read's errors are final (callbacks ran)
	keep   func(*http.Response, func()) // Download: hand the body over instead of read
}

// maxErrorBody is how much of an error response is read.
const maxErrorBody = 64 << 10

// do runs c with retries and returns nil or an *Error.
func (c *Client) do(ctx context.Context, cl *call) error {
	if cl.object && c.opts.Objects != nil {
		if err := c.opts.Objects.Wait(ctx); err != nil {
			return &Error{Op: cl.op, Err: err}
		}
	}
	return c.retry(ctx, cl.op, func(n int) *Error { return c.attempt(ctx, cl) })
}

// attempt makes one request under its own context, cancelled when the
// attempt ends or its watchdog sees no progress.
func (c *Client) attempt(ctx context.Context, cl *call) *Error {
	actx, cancel := context.WithCancelCause(ctx)
	wd := newWatchdog(c.opts.IdleTimeout, cancel)
	end := func() { wd.stop(); cancel(nil) }
	resp, release, e := c.send(actx, ctx, cl, wd)
	if e != nil {
		end()
		return e
	}
	body := &watchedReader{r: resp.Body, wd: wd, idle: c.opts.IdleTimeout}
	if cl.keep != nil && accepted(resp.StatusCode, cl.ok) {
		release() // the caller reads at its own pace
		resp.Body = struct {
			io.Reader
			io.Closer
		}{body, resp.Body}
		cl.keep(resp, end)
		return nil
	}
	defer end()
	defer release()
	defer drainAndClose(resp.Body)
	if !accepted(resp.StatusCode, cl.ok) {
		return statusError(resp.StatusCode, body)
	}
	if err := cl.read(body); err != nil {
		return c.readErr(actx, ctx, cl, err)
	}
	return nil
}

// send takes a concurrency slot and sends the request; release gives the
// slot back.
func (c *Client) send(actx, ctx context.Context, cl *call, wd *watchdog) (*http.Response, func(), *Error) {
	if err := c.acquire(actx); err != nil {
		return nil, nil, &Error{Err: err}
	}
	var once sync.Once
	release := func() { once.Do(c.release) }
	req, e := c.newRequest(actx, cl, wd)
	if e != nil {
		release()
		return nil, nil, e
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err == nil || !isDialErr(err) && actx.Err() == nil {
		c.health.reached.Store(true) // a connection was made
	}
	if err != nil {
		release()
		return nil, nil, &Error{Err: c.netErr(actx, ctx, err)}
	}
	c.log.Debug("lafsapi: request", "op", cl.op, "method", cl.method, "path", redactPath(cl.path),
		"status", resp.StatusCode, "elapsed", time.Since(start))
	wd.kick(c.opts.IdleTimeout)
	return resp, release, nil
}

// newRequest builds the request; the body is opened anew for each attempt.
func (c *Client) newRequest(ctx context.Context, cl *call, wd *watchdog) (*http.Request, *Error) {
	var body io.ReadCloser
	if cl.open != nil {
		rc, err := cl.open()
		if err != nil {
			return nil, &Error{Err: fmt.Errorf("open source: %w", err), final: true}
		}
		body = c.bodyReader(ctx, rc, cl, wd)
		if cl.size == 0 {
			rc.Close()
			body = http.NoBody // ContentLength 0 with a Body would mean "unknown"
		}
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, c.endpoint(cl.path, cl.query), body)
	if err != nil {
		if body != nil {
			body.Close()
		}
		return nil, &Error{Err: errors.New("cannot build request"), final: true}
	}
	if body != nil && cl.size >= 0 {
		req.ContentLength = cl.size
	}
	req.Header.Set("Accept", "text/plain, application/json")
	if cl.ctype != "" {
		req.Header.Set("Content-Type", cl.ctype)
	}
	return req, nil
}

func accepted(status int, ok []int) bool {
	if len(ok) == 0 {
		return status == http.StatusOK
	}
	for _, s := range ok {
		if s == status {
			return true
		}
	}
	return false
}

// statusError reads the start of an error body and classifies it.
func statusError(status int, body io.Reader) *Error {
	data, _ := io.ReadAll(io.LimitReader(body, maxErrorBody))
	text := string(data)
	e := &Error{Status: status, Msg: bodyMessage(text)}
	if status == http.StatusInternalServerError && notEnoughServers(text) {
		e.Err = ErrNotEnoughServers
		if refusedContent(text) {
			e.Err = ErrRefused
		}
	}
	return e
}

// netErr turns a transport error into the cause to report: the idle
// timeout, the caller's cancellation, or the error with its URL redacted.
func (c *Client) netErr(actx, ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errCallerDone
	}
	if errors.Is(context.Cause(actx), ErrIdleTimeout) {
		return ErrIdleTimeout
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// readErr classifies a failure while reading a successful response.
func (c *Client) readErr(actx, ctx context.Context, cl *call, err error) *Error {
	if actx.Err() == nil && !isNetErr(err) {
		return &Error{Err: err, final: true} // a bad answer, a stream error or a callback's error
	}
	return &Error{Err: c.netErr(actx, ctx, err), final: cl.stream}
}

func drainAndClose(rc io.ReadCloser) {
	io.CopyN(io.Discard, rc, 64<<10)
	rc.Close()
}

// redactPath keeps the shape of a request path with caps removed.
func redactPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if dec, err := url.PathUnescape(s); err == nil && strings.HasPrefix(dec, "URI:") {
			segs[i] = "CAP"
		}
	}
	return strings.Join(segs, "/")
}

// isNetErr reports whether err came from the connection rather than from
// parsing or a callback.
func isNetErr(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
