package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/queue"
	"github.com/lafs-backup/lafs-backup/uploader"
)

// gridPort lets the uploader talk to the gateway. Caps cross this seam as
// strings (the uploader never logs them) and are parsed back into the
// redacting lafsapi.Cap at once.
type gridPort struct {
	c *lafsapi.Client
}

var _ uploader.Grid = (*gridPort)(nil)

func (g *gridPort) PutFile(ctx context.Context, open func() (io.ReadCloser, error), size int64) (string, error) {
	uctx, cancel := withGrace(ctx, stopGrace)
	defer cancel()
	c, err := g.c.UploadFile(uctx, open, size)
	if err != nil {
		return "", refusal(err)
	}
	return c.Secret(), nil
}

func (g *gridPort) Mkdir(ctx context.Context, children map[string]uploader.Child) (string, error) {
	m := make(map[string]lafsapi.Child, len(children))
	for name, ch := range children {
		c, err := lafsapi.ParseCap(ch.Cap)
		if err != nil {
			return "", fmt.Errorf("child %q: %w", name, err)
		}
		m[name] = lafsapi.Child{Cap: c, Metadata: ch.Metadata}
	}
	uctx, cancel := withGrace(ctx, stopGrace)
	defer cancel()
	c, err := g.c.MkdirImmutable(uctx, m)
	if err != nil {
		return "", refusal(err)
	}
	return c.Secret(), nil
}

func (g *gridPort) Renew(ctx context.Context, capStr string) (bool, error) {
	c, err := lafsapi.ParseCap(capStr)
	if err != nil {
		return false, err
	}
	res, err := g.c.Check(ctx, c, lafsapi.CheckOptions{AddLease: true})
	if err != nil {
		return false, err
	}
	return res.Healthy, nil
}

// stopGrace is how long a request already sent may run on after a stop
// signal. Cutting an upload off mid-way can leave partial shares that the
// storage servers hold (and refuse the same content for) for up to 30
// minutes, so a clean stop lets uploads in flight finish; a second signal
// exits at once.
const stopGrace = 60 * time.Second

// withGrace returns a context that ends grace after parent ends (or at
// once when parent's deadline passes), keeping parent's values.
func withGrace(parent context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	stop := context.AfterFunc(parent, func() {
		t := time.AfterFunc(grace, cancel)
		context.AfterFunc(ctx, func() { t.Stop() })
	})
	return ctx, func() { stop(); cancel() }
}

// refusal marks an error of storage servers that refuse this object for
// now (lafsapi.ErrRefused: enough of them answered, none took it) as
// uploader.ErrRefused, so the uploader sets the object aside and retries
// it at the end of the run instead of ending the run (docs/uploader.md,
// Refused objects). After a kill -9 they hold the interrupted upload's
// partial shares for up to 30 minutes.
func refusal(err error) error {
	if errors.Is(err, lafsapi.ErrRefused) {
		return fmt.Errorf("%w: %w", uploader.ErrRefused, err)
	}
	return err
}

func (g *gridPort) LIT(data []byte) string { return lafsapi.LITCap(data).Secret() }

// cachePort maps the uploader's cache onto one run's entrycache.Batch,
// which already sees its own uncommitted writes.
type cachePort struct {
	ctx   context.Context // commits must finish even when the run is cancelled
	batch *entrycache.Batch
	now   func() time.Time
}

var _ uploader.Cache = (*cachePort)(nil)

func (p *cachePort) Lookup(key [32]byte) (uploader.Object, bool, error) {
	o, ok, err := p.batch.Lookup(p.ctx, key)
	if err != nil || !ok {
		return uploader.Object{}, ok, err
	}
	return uploader.Object{Cap: o.Cap, Enc: o.Enc, Probe: o.Probe, RenewedAt: o.RenewedAt,
		Seen: uploader.Seen{Tree: o.Seen.Tree, CtimeNs: o.Seen.CtimeNs}}, true, nil
}

func (p *cachePort) Use(key [32]byte, renewed bool, seen uploader.Seen) error {
	p.batch.Use(key)
	if renewed {
		p.batch.Renewed(key, p.now())
	}
	p.batch.SawFile(key, entrycache.Seen{Tree: seen.Tree, CtimeNs: seen.CtimeNs})
	return nil
}

func (p *cachePort) Put(key [32]byte, obj uploader.Object, dir bool) error {
	kind := entrycache.KindFile
	if dir {
		kind = entrycache.KindDir
	}
	now := p.now()
	err := p.batch.Put(entrycache.Object{
		Key: key, Cap: obj.Cap, Kind: kind, Enc: obj.Enc, Probe: obj.Probe,
		UploadedAt: now, RenewedAt: now, Seen: entrycache.Seen{Tree: obj.Seen.Tree, CtimeNs: obj.Seen.CtimeNs},
	})
	if err == nil && p.batch.Pending() >= commitEvery {
		err = p.Flush()
	}
	return err
}

// commitEvery bounds what a kill -9 can lose even inside one huge
// directory: the uploader itself flushes after a directory at most every
// 250 ms (and at the end), so without this a directory of a million files
// would commit only when it is done.
const commitEvery = 64

func (p *cachePort) LookupSubtree(key [32]byte) (uploader.Subtree, bool, error) {
	s, ok, err := p.batch.LookupSubtree(p.ctx, key)
	if err != nil || !ok {
		return uploader.Subtree{}, ok, err
	}
	return uploader.Subtree{Cap: s.Cap, Entries: s.Entries, RenewedAt: s.RenewedAt}, true, nil
}

func (p *cachePort) UseSubtree(key [32]byte) error {
	p.batch.UseSubtree(key)
	return nil
}

func (p *cachePort) PutSubtree(key [32]byte, s uploader.Subtree) error {
	return p.batch.PutSubtree(entrycache.Subtree{Key: key, Cap: s.Cap, Entries: s.Entries, RenewedAt: s.RenewedAt})
}

func (p *cachePort) Flush() error { return p.batch.Commit(p.ctx) }

// queueEntries feeds a queue file to the uploader.
type queueEntries struct{ r *queue.Reader }

func (q queueEntries) Next() (uploader.Entry, error) {
	e, err := q.r.Next()
	if err != nil {
		return uploader.Entry{}, err
	}
	return uploader.Entry{Path: e.Path, Meta: e.Meta}, nil
}

func (q queueEntries) Close() error { return q.r.Close() }

// Skip passes over entries of a subtree the uploader reuses whole.
func (q queueEntries) Skip(n int64) error { return q.r.Skip(n) }

var _ uploader.Skipper = queueEntries{}
