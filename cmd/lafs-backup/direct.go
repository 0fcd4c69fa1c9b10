package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/config"
	"github.com/lafs-backup/lafs-backup/direct"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/lifecycle"
	"github.com/lafs-backup/lafs-backup/tahoenode"
	"github.com/lafs-backup/lafs-backup/uploader"
)

// newDirect is the client of the storage servers named by
// destination.direct.node_dir (docs/direct.md), with the web API's retry,
// timeout and rate-limit settings, and the node it read (for sameGrid);
// nil when the key is unset. spool is where content of unknown size (xz
// output) is spooled.
func newDirect(e *env, jobs int, spool string) (*direct.Client, *tahoenode.Node, error) {
	dir := e.Config.Destination.Direct.NodeDir
	if dir == "" {
		return nil, nil, nil
	}
	node, err := tahoenode.Read(dir)
	if err != nil {
		return nil, nil, &exitError{Code: exitUsage, Err: fmt.Errorf("destination.direct.node_dir: %w", err)}
	}
	for _, s := range node.Skipped {
		e.Log.Warn("destination.direct.node_dir: storage server not used", "server", s.String())
	}
	c := e.Config
	if jobs <= 0 {
		jobs = c.Operation.Jobs
	}
	opts := direct.Options{
		Attempts:    c.HTTP.Retry.Attempts,
		IdleTimeout: c.Operation.Timeouts.Idle.D(),
		Objects:     limiter(c.Operation.RateLimit.Objects),
		Bytes:       limiter(c.Operation.RateLimit.Bytes),
		Jobs:        jobs,
		SpoolDir:    spool,
		Logger:      e.Log,
	}
	if d := c.HTTP.Retry.Delay; d.Exponential() {
		opts.BaseDelay = d.Base
	} else {
		opts.Delays = d.List
	}
	d, err := direct.New(node, opts)
	return d, node, err
}

// sameGrid refuses a node directory none of whose storage servers the
// gateway lists in its status (docs/direct.md, The node directory's grid):
// uploads would then go to another grid than the one destination.url
// reads back from. node nil (the web API) passes.
func sameGrid(cfg *config.Config, node *tahoenode.Node, st lafsapi.Status) error {
	if node == nil {
		return nil
	}
	known := make(map[string]bool, len(st.Servers))
	theirs := []string{}
	for _, s := range st.Servers {
		known[s.NodeID] = true
		theirs = append(theirs, tahoenode.Server{ID: s.NodeID, Nickname: s.Nickname}.Name())
	}
	var ours []string
	for _, s := range node.Servers {
		if known[s.ID] {
			return nil
		}
		ours = append(ours, s.Name())
	}
	return &exitError{Code: exitUsage, Err: fmt.Errorf(
		"destination.direct.node_dir %s is not a node of the grid of destination.url %s: "+
			"none of its %d storage servers (%s) is among the %d the gateway knows (%s); "+
			"point node_dir at a node directory of the gateway's grid (usually the gateway's own)",
		cfg.Destination.Direct.NodeDir, safeURL(cfg.Destination.URL),
		len(ours), strings.Join(ours, ", "), len(theirs), cmp.Or(strings.Join(theirs, ", "), "none"))}
}

// safeURL is u without user info, query or fragment, for messages.
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	return p.String()
}

// uploadGrid is the uploader's grid: the gateway, or with
// destination.direct.node_dir the storage servers. The grid identity was
// checked through the gateway before the run began.
func (b *lockedBackup) uploadGrid() uploader.Grid {
	if b.direct == nil {
		return &gridPort{c: b.client}
	}
	return &directPort{d: b.direct}
}

// directPort adapts a direct.Client to the uploader's Grid port, as
// gridPort adapts the web API client.
type directPort struct {
	d *direct.Client
}

var _ uploader.Grid = (*directPort)(nil)

func (p *directPort) PutFile(ctx context.Context, open func() (io.ReadCloser, error), size int64) (string, error) {
	uctx, cancel := withGrace(ctx, stopGrace)
	defer cancel()
	return p.d.PutFile(uctx, open, size)
}

func (p *directPort) Mkdir(ctx context.Context, children map[string]uploader.Child) (string, error) {
	m := make(map[string]direct.Child, len(children))
	for name, ch := range children {
		m[name] = direct.Child{Dir: ch.Dir, Cap: ch.Cap, Metadata: ch.Metadata}
	}
	uctx, cancel := withGrace(ctx, stopGrace)
	defer cancel()
	return p.d.Mkdir(uctx, m)
}

func (p *directPort) Renew(ctx context.Context, capStr string) (bool, error) {
	h, err := p.d.Renew(ctx, capStr)
	return h.Healthy, err
}

func (p *directPort) LIT(data []byte) string { return chk.LITURI(data) }

// checkGridFor is what check walks and renews through: the gateway, or
// with destination.direct.node_dir the gateway for reads and the storage
// servers for the leases of immutable objects.
func checkGridFor(e *env, client *lafsapi.Client, jobs int) (lifecycle.Grid, *tahoenode.Node, func(), error) {
	d, node, err := newDirect(e, jobs, "")
	if err != nil || d == nil {
		return client, nil, func() {}, err
	}
	return &directCheck{Client: client, d: d}, node, d.Close, nil
}

// directCheck renews leases straight on the storage servers. Repairs,
// verifying checks, mutable directories and deep-checks stay with the
// gateway, as do all reads.
type directCheck struct {
	*lafsapi.Client
	d *direct.Client
}

func (c *directCheck) Check(ctx context.Context, obj lafsapi.Cap, opts lafsapi.CheckOptions) (lafsapi.CheckResult, error) {
	s := obj.Secret()
	if opts.Repair || opts.Verify || !(strings.HasPrefix(s, "URI:CHK:") || strings.HasPrefix(s, "URI:DIR2-CHK:")) {
		return c.Client.Check(ctx, obj, opts)
	}
	h, err := c.d.Check(ctx, s, opts.AddLease)
	if err != nil {
		return lafsapi.CheckResult{}, err
	}
	return lafsapi.CheckResult{
		Summary: h.Summary(), Healthy: h.Healthy, Recoverable: h.Recoverable,
		SharesGood: h.Shares, SharesNeeded: h.Needed, SharesExpected: h.Total,
		Happiness: h.Happiness, GoodHosts: h.Hosts,
	}, nil
}
