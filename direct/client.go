package direct

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/storageapi"
	"github.com/lafs-backup/lafs-backup/tahoenode"
)

// Options configure a Client. The retry and timeout fields mean what
// storageapi.Options' (and lafsapi.Options') fields of the same names
// mean, so the web API's configuration serves both.
type Options struct {
	Attempts            int             // per request, 1 = no retry; default 4
	Delays              []time.Duration // delay before each retry, the last repeating
	BaseDelay, MaxDelay time.Duration   // exponential backoff when Delays is empty
	IdleTimeout         time.Duration   // an attempt fails when nothing moves for this long
	// ChunkSize bounds the share bytes of one write request; default
	// 1 MiB (storageapi's).
	ChunkSize int
	// Objects, if set, is waited on once per object uploaded (PutFile or
	// a Mkdir that stores shares), whatever the number of servers.
	Objects *rate.Limiter
	// Bytes, if set, is waited on for every byte of share data as it is
	// sent: Total/Needed times the file's bytes.
	Bytes *rate.Limiter
	// Jobs is how many objects the caller uploads at once (it bounds the
	// requests in flight to one server at 2*Jobs); default 4.
	Jobs int
	// SpoolDir is where PutFile spools content of unknown size (a 0600
	// file, removed after); default os.TempDir().
	SpoolDir string
	// DownFor is how long a server that could not be reached is left
	// alone before it is tried again; default 30s.
	DownFor time.Duration
	// Logger gets warnings about servers and debug lines per request;
	// never a cap, swissnum or secret. Default: discard.
	Logger *slog.Logger
}

// Client uploads to and renews leases on the storage servers of one node
// directory. It is safe for concurrent use.
type Client struct {
	node    *tahoenode.Node
	params  chk.Params
	opts    Options
	log     *slog.Logger
	servers []*server // node.Servers' order
	byID    map[string]*server

	readyMu sync.Mutex
	ready   bool

	// Streamed uploads (large.go): one at a time, and their buffers.
	streaming chan struct{}
	bufs      buffers
}

// New makes a client for the servers node knows. It sends nothing yet:
// the first operation asks every server for its version, in parallel.
func New(node *tahoenode.Node, opts Options) (*Client, error) {
	if node == nil || len(node.Servers) == 0 {
		return nil, errors.New("direct: a node directory with storage servers is needed")
	}
	opts.Jobs = cmp.Or(max(opts.Jobs, 0), 4)
	opts.DownFor = cmp.Or(max(opts.DownFor, 0), 30*time.Second)
	opts.SpoolDir = cmp.Or(opts.SpoolDir, os.TempDir())
	opts.Logger = cmp.Or(opts.Logger, slog.New(slog.DiscardHandler))
	c := &Client{
		node: node, opts: opts, log: opts.Logger,
		params: chk.Params{Needed: node.Needed, Total: node.Total, MaxSegmentSize: node.MaxSegmentSize},
		byID:   map[string]*server{},
	}
	c.streaming = make(chan struct{}, 1)
	for i, s := range node.Servers {
		srv, err := newServer(s, i, c)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.servers = append(c.servers, srv)
		c.byID[s.ID] = srv
	}
	return c, nil
}

// Close drops idle connections.
func (c *Client) Close() {
	for _, s := range c.servers {
		s.c.Close()
	}
}

// Params are the encoding parameters the node's gateway uses.
func (c *Client) Params() chk.Params { return c.params }

// Happy is the node's shares.happy.
func (c *Client) Happy() int { return c.node.Happy }

// storageOptions are one server's client options.
func (c *Client) storageOptions(s tahoenode.Server, retry func(*storageapi.Error) bool) storageapi.Options {
	o := c.opts
	return storageapi.Options{
		Name: s.Name(), Attempts: o.Attempts, Delays: o.Delays, BaseDelay: o.BaseDelay, MaxDelay: o.MaxDelay,
		IdleTimeout: o.IdleTimeout, ChunkSize: o.ChunkSize, Bytes: o.Bytes,
		MaxConcurrent: 2 * o.Jobs, Retry: retry, Logger: c.log,
	}
}

// start asks every server for its version once, before the first
// operation, so that servers which are down are known before shares are
// placed. A cancelled start is tried again by the next operation.
func (c *Client) start(ctx context.Context) error {
	c.readyMu.Lock()
	defer c.readyMu.Unlock()
	if c.ready {
		return nil
	}
	var wg sync.WaitGroup
	for _, s := range c.servers {
		wg.Go(func() { s.probe(ctx) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	c.ready = true
	up := 0
	for _, s := range c.servers {
		if s.up() {
			up++
		}
	}
	c.log.Info("direct: storage servers", "reachable", up, "known", len(c.servers), "happy", c.node.Happy)
	return nil
}

// waitObject takes a token of the objects limiter.
func (c *Client) waitObject(ctx context.Context) error {
	if c.opts.Objects == nil {
		return nil
	}
	if err := c.opts.Objects.Wait(ctx); err != nil {
		return fmt.Errorf("direct: rate limit: %w", err)
	}
	return nil
}
