package lafsapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Options configure a Client. The zero value is usable.
type Options struct {
	// Attempts is the total number of attempts per call (1 = no retry);
	// default 4.
	Attempts int
	// Delays, when set, is the delay before each retry; the last repeats.
	Delays []time.Duration
	// BaseDelay is the first backoff delay when Delays is empty; it doubles
	// per retry, with jitter, up to MaxDelay. Defaults 1s and 1m.
	BaseDelay, MaxDelay time.Duration
	// Attempts, Delays, BaseDelay and MaxDelay are the schedule for a grid
	// that keeps failing. A failure while the gateway answers other
	// requests (one succeeded within AliveWindow, default 1m) is isolated:
	// it is retried after QuickDelay (default 500ms), doubling up to the
	// first scheduled delay and at most 10s, QuickRetries times per call
	// (default 8; negative: none) before it counts against the schedule.
	// See docs/lafsapi.md, Retries.
	QuickDelay   time.Duration
	QuickRetries int
	AliveWindow  time.Duration
	// FirstContact is the wait before each retry of a call that cannot
	// connect to a gateway this client has never reached (connection
	// refused, no such host, no route): a wrong URL or a node that is not
	// running, not a grid that went away. After them the call fails with
	// ErrUnreachable. Default 2s, 3s: three attempts in about five seconds
	// (never more than Attempts).
	// Once any attempt has reached the gateway, the schedule above applies.
	FirstContact []time.Duration
	// IdleTimeout ends an attempt when no bytes move for this long;
	// default 2m. Negative disables it.
	IdleTimeout time.Duration
	// PerGiB is added to the idle timeout once a request body has been sent,
	// in proportion to its size, because the gateway answers only after it
	// has stored every share; default 10m per GiB.
	PerGiB time.Duration
	// Objects, if set, is waited on once per object created (file upload
	// or directory creation); Bytes per byte of file content sent, in
	// pieces no larger than its burst.
	Objects, Bytes *rate.Limiter
	// MaxConcurrent bounds requests in flight; 0 means no bound.
	MaxConcurrent int
	// TLSConfig for https gateways (CA bundles from http.ca_certs_files).
	TLSConfig *tls.Config
	// Logger gets one debug line per request and a warning per retry, never
	// with a cap. Default: discard.
	Logger *slog.Logger
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
}

// Client talks to one Tahoe-LAFS gateway. It is safe for concurrent use.
type Client struct {
	base *url.URL // gateway root, ending in "/"
	http *http.Client
	opts Options
	log  *slog.Logger
	sem  chan struct{}

	health health // last success, for the retry policy
}

// New returns a client for the gateway at gatewayURL. A trailing "/uri"
// (the original tool's default, http://localhost:3456/uri) is stripped.
func New(gatewayURL string, opts Options) (*Client, error) {
	base, err := gatewayRoot(gatewayURL)
	if err != nil {
		return nil, err
	}
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	c := &Client{base: base, opts: opts, log: opts.Logger}
	tr := opts.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = opts.TLSConfig
		t.MaxIdleConnsPerHost = max(16, opts.MaxConcurrent)
		tr = t
	}
	c.http = &http.Client{Transport: tr}
	if opts.MaxConcurrent > 0 {
		c.sem = make(chan struct{}, opts.MaxConcurrent)
	}
	return c, nil
}

func (o *Options) setDefaults() error {
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = time.Second
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = time.Minute
	}
	if o.QuickDelay <= 0 {
		o.QuickDelay = 500 * time.Millisecond
	}
	if o.QuickRetries == 0 {
		o.QuickRetries = 8
	}
	if o.AliveWindow <= 0 {
		o.AliveWindow = time.Minute
	}
	if o.FirstContact == nil {
		o.FirstContact = []time.Duration{2 * time.Second, 3 * time.Second}
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 2 * time.Minute
	}
	if o.PerGiB <= 0 {
		o.PerGiB = 10 * time.Minute
	}
	for _, l := range []*rate.Limiter{o.Objects, o.Bytes} {
		if l != nil && l.Limit() != rate.Inf && l.Burst() <= 0 {
			return errors.New("lafsapi: a rate limiter needs a burst of at least 1")
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// gatewayRoot parses u and strips a trailing "/uri" path element.
func gatewayRoot(u string) (*url.URL, error) {
	base, err := url.Parse(u)
	if err != nil {
		return nil, fmt.Errorf("lafsapi: gateway URL: %w", err)
	}
	if base.Scheme != "http" && base.Scheme != "https" || base.Host == "" {
		return nil, fmt.Errorf("lafsapi: gateway URL %q: want http://HOST:PORT/ or https://...", RedactCaps(u))
	}
	p := strings.TrimSuffix(base.Path, "/")
	p = strings.TrimSuffix(p, "/uri")
	base.Path = p + "/"
	base.RawPath, base.RawQuery, base.Fragment = "", "", ""
	return base, nil
}

// URL returns the gateway root the client uses.
func (c *Client) URL() string { return c.base.String() }

// capPath returns "uri/CAP[/NAME...]" with every element escaped.
func capPath(c Cap, names ...string) string {
	var b strings.Builder
	b.WriteString("uri/")
	b.WriteString(url.PathEscape(c.Secret()))
	for _, n := range names {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(n))
	}
	return b.String()
}

// endpoint returns the absolute URL for a path relative to the root.
func (c *Client) endpoint(path string, q url.Values) string {
	s := c.base.String() + path
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

func (c *Client) acquire(ctx context.Context) error {
	if c.sem == nil {
		return nil
	}
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) release() {
	if c.sem != nil {
		<-c.sem
	}
}
