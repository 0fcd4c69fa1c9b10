package storageapi

import (
	"cmp"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// Options configure a Client. The zero value is usable; the retry and
// timeout fields mean what lafsapi.Options' fields of the same names mean
// (docs/lafsapi.md), so one configuration serves both.
type Options struct {
	// Name is how errors and logs name the server, e.g. its nickname and
	// address; default the NURL's host:port.
	Name string
	// Attempts is the total number of attempts per request (1 = no
	// retry); default 4.
	Attempts int
	// Delays, when set, is the delay before each retry; the last repeats.
	Delays []time.Duration
	// BaseDelay is the first backoff delay when Delays is empty; it doubles
	// per retry, with jitter, up to MaxDelay. Defaults 1s and 1m.
	BaseDelay, MaxDelay time.Duration
	// IdleTimeout ends an attempt when no byte moves on its connection
	// for this long (connecting, sending, waiting for or reading the
	// answer); default 2m. Negative disables it.
	IdleTimeout time.Duration
	// ChunkSize bounds the share bytes sent in one PATCH by WriteShare and
	// ShareWriter; default 1 MiB.
	ChunkSize int
	// Objects, if set, is waited on once per Allocate (the buckets of one
	// storage index on this server). A caller that counts whole files
	// across servers leaves it nil and waits itself.
	Objects *rate.Limiter
	// Bytes, if set, is waited on for every byte of share data sent
	// (again on a retry), in pieces no larger than its burst, before the
	// request goes out.
	Bytes *rate.Limiter
	// MaxConcurrent bounds requests in flight to this server; 0 = no bound.
	MaxConcurrent int
	// Retry, if set, is asked before each retry whether to make it; false
	// ends the request with that error at once. The direct uploader uses
	// it to stop waiting on a server it has found down (a refused
	// connection), which the retry delays would otherwise make it wait
	// for minutes.
	Retry func(*Error) bool
	// Logger gets one debug line per request (with the storage index) and
	// a warning per retry (without it); never a secret. Default: discard.
	Logger *slog.Logger
}

// Client talks to one storage server over HTTPS. It is safe for
// concurrent use.
type Client struct {
	nurl NURL
	name string
	auth string // Authorization header value
	opts Options
	log  *slog.Logger
	http *http.Client
	tr   *transport
	sem  chan struct{}
}

// New returns a client for the server at n. The connection accepts only a
// certificate whose public key hashes to n's SPKI hash.
func New(n NURL, opts Options) (*Client, error) {
	if n.IsZero() {
		return nil, errors.New("storageapi: no NURL")
	}
	if err := opts.setDefaults(n); err != nil {
		return nil, err
	}
	c := &Client{
		nurl: n,
		name: opts.Name,
		auth: "Tahoe-LAFS " + base64.StdEncoding.EncodeToString([]byte(n.swissnum)),
		opts: opts,
		log:  opts.Logger,
	}
	c.tr = newTransport(n, opts.IdleTimeout, opts.MaxConcurrent)
	c.http = &http.Client{Transport: c.tr}
	if opts.MaxConcurrent > 0 {
		c.sem = make(chan struct{}, opts.MaxConcurrent)
	}
	return c, nil
}

func (o *Options) setDefaults(n NURL) error {
	o.BaseDelay = orDefault(o.BaseDelay, time.Second)
	o.MaxDelay = orDefault(o.MaxDelay, time.Minute)
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 2 * time.Minute
	}
	o.Attempts = orDefault(o.Attempts, 4)
	o.ChunkSize = orDefault(o.ChunkSize, 1<<20)
	o.Name = cmp.Or(o.Name, n.host)
	o.Logger = cmp.Or(o.Logger, slog.New(slog.DiscardHandler))
	for _, l := range []*rate.Limiter{o.Objects, o.Bytes} {
		if l != nil && l.Limit() != rate.Inf && l.Burst() <= 0 {
			return errors.New("storageapi: a rate limiter needs a burst of at least 1")
		}
	}
	return nil
}

// orDefault is v if positive, else def.
func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// Name is the server's name in errors and logs.
func (c *Client) Name() string { return c.name }

// NURL is the server's NURL.
func (c *Client) NURL() NURL { return c.nurl }

// Close drops idle connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }
