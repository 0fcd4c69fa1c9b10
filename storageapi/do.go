package storageapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"golang.org/x/time/rate"
)

const cborType = "application/cbor"

// secretHeader is one X-Tahoe-Authorization value: kind and secret.
type secretHeader struct {
	kind   string // "lease-renew-secret", "lease-cancel-secret", "upload-secret"
	secret Secret
}

// request describes one logical request; do sends it, with retries.
type request struct {
	op      string
	method  string
	path    string // below the server root, e.g. "/storage/v1/version"
	secrets []secretHeader
	body    []byte // nil = none
	ctype   string
	header  http.Header // extra headers (Range, Content-Range)
	bytes   bool        // count the body against Options.Bytes
	ok      []int       // accepted statuses
	// read consumes an accepted answer; a non-nil error is final unless it
	// is a network error.
	read func(*http.Response) error
}

// do runs r until it succeeds, fails finally, or the attempts run out.
func (c *Client) do(ctx context.Context, r *request) error {
	for n := 1; ; n++ {
		e := c.attempt(ctx, r)
		if e == nil {
			return nil
		}
		e.Server, e.Op, e.Attempts = c.name, r.op, n
		if ctx.Err() != nil {
			e.Err, e.final = ctx.Err(), true
			return e
		}
		if e.final || !retryable(e.Status, e.Err) || n >= c.opts.Attempts {
			return e
		}
		if c.opts.Retry != nil && !c.opts.Retry(e) {
			return e
		}
		d := c.backoff(n)
		c.log.Warn("storageapi: retrying", "server", c.name, "op", r.op,
			"attempt", n, "of", c.opts.Attempts, "delay", d, "err", e.Error())
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			e.Err, e.final = ctx.Err(), true
			return e
		}
	}
}

// backoff is the wait before retry n (1 = the first): Delays[n-1], the
// last repeating, or BaseDelay doubled n-1 times up to MaxDelay, of which
// a random point in the upper half ("equal jitter").
func (c *Client) backoff(n int) time.Duration {
	if ds := c.opts.Delays; len(ds) > 0 {
		return ds[min(n, len(ds))-1]
	}
	d := c.opts.MaxDelay
	if shift := n - 1; shift < 62 && c.opts.BaseDelay <= d>>shift {
		d = c.opts.BaseDelay << shift
	}
	return d/2 + rand.N(d/2+1)
}

// attempt sends r once.
func (c *Client) attempt(ctx context.Context, r *request) *Error {
	if r.bytes && c.opts.Bytes != nil {
		if err := waitBytes(ctx, c.opts.Bytes, len(r.body)); err != nil {
			return &Error{Err: err, final: true}
		}
	}
	if c.sem != nil { // a slot among Options.MaxConcurrent
		select {
		case c.sem <- struct{}{}:
			defer func() { <-c.sem }()
		case <-ctx.Done():
			return &Error{Err: ctx.Err(), final: true}
		}
	}
	req, err := c.newRequest(ctx, r)
	if err != nil {
		return &Error{Err: err, final: true}
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return c.netError(ctx, err)
	}
	defer drain(resp.Body)
	c.log.Debug("storageapi: request", "server", c.name, "op", r.op, "method", r.method,
		"path", r.path, "status", resp.StatusCode, "elapsed", time.Since(start))
	if !slices.Contains(r.ok, resp.StatusCode) {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return &Error{Status: resp.StatusCode, Msg: serverMessage(body, c.sensitive(r))}
	}
	if r.read == nil {
		return nil
	}
	if err := r.read(resp); err != nil {
		if isNetError(err) {
			return c.netError(ctx, err)
		}
		return &Error{Status: resp.StatusCode, Err: err, final: true}
	}
	return nil
}

func (c *Client) newRequest(ctx context.Context, r *request) (*http.Request, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, "https://"+c.nurl.host+r.path, body)
	if err != nil {
		return nil, errors.New("cannot build the request")
	}
	// Keys in canonical form, set directly: Header.Set would canonicalise
	// each one again on every request.
	h := req.Header
	for k, vs := range r.header {
		h[k] = vs
	}
	h["Authorization"] = []string{c.auth}
	if len(r.secrets) > 0 {
		vs := make([]string, len(r.secrets))
		for i, s := range r.secrets {
			vs[i] = s.kind + " " + base64.StdEncoding.EncodeToString(s.secret.b)
		}
		h["X-Tahoe-Authorization"] = vs
	}
	h["Accept"] = []string{cborType}
	if r.ctype != "" {
		h["Content-Type"] = []string{r.ctype}
	}
	return req, nil
}

// sensitive lists what must not appear in an error message.
func (c *Client) sensitive(r *request) []Secret {
	out := []Secret{c.nurl.Swissnum()}
	for _, s := range r.secrets {
		out = append(out, s.secret)
	}
	return out
}

// netError classifies a transport error: the caller's cancellation, a
// refused certificate (final), the idle deadline, or a network error
// without its URL.
func (c *Client) netError(ctx context.Context, err error) *Error {
	if ctx.Err() != nil {
		return &Error{Err: ctx.Err(), final: true}
	}
	var ce *CertError
	if errors.As(err, &ce) {
		return &Error{Err: ce, final: true}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Err: ErrIdleTimeout}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return &Error{Err: err}
}

func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// waitBytes takes n tokens in pieces no larger than the burst.
func waitBytes(ctx context.Context, l *rate.Limiter, n int) error {
	if l.Limit() == rate.Inf {
		return nil
	}
	for n > 0 {
		k := min(n, l.Burst())
		if err := l.WaitN(ctx, k); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func drain(rc io.ReadCloser) {
	io.CopyN(io.Discard, rc, 64<<10)
	rc.Close()
}

// readCBOR decodes an accepted answer's CBOR body (at most limit bytes).
func readCBOR(resp *http.Response, limit int64) (any, error) {
	if ct := resp.Header.Get("Content-Type"); ct != cborType {
		return nil, fmt.Errorf("%w: content type %q, want %s", ErrBadResponse, ct, cborType)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBadResponse, limit)
	}
	v, err := cborDecode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	return v, nil
}
