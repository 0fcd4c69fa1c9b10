package uploader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/treeformat"
)

// Uploader turns a stream of phase-one entries into an immutable tree on
// the grid. It is created once and may Run more than once, not
// concurrently.
type Uploader struct {
	grid  Grid
	cache *lockedCache
	opts  Options
	fs    sourceFS
	xz    xzBudget
	cur   atomic.Pointer[counters]
}

// New checks opts and returns an Uploader using grid and cache.
func New(grid Grid, cache Cache, opts Options) (*Uploader, error) {
	if grid == nil || cache == nil {
		return nil, errors.New("uploader: nil Grid or Cache")
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	u := &Uploader{grid: grid, cache: &lockedCache{c: cache}, opts: opts, fs: osFS,
		xz: newXZBudget(opts.XZ.MemoryLimit)}
	u.cur.Store(&counters{})
	return u, nil
}

// Stats returns the counters of the current (or last) run; safe to call
// from another goroutine while Run works (status line, SIGUSR1).
func (u *Uploader) Stats() Stats { return u.cur.Load().snapshot(u.opts.Now()) }

// build is the state of one Run: the tree being built, its counters and
// the uploads in flight.
type build struct {
	*Uploader
	stats   *counters
	log     *slog.Logger
	flights *flights
	tree    *tree
	ready   fifo
	busy    int // nodes handed to workers, result not yet received
	eof     bool
	wrap    *node
	plan    plan     // subtrees reused whole (RunFrom)
	dirs    openDirs // source directories open while their entries are read
	devs    devMap   // recorded device number -> the one seen now
	aside   refusals // objects the storage servers refused, to retry (refused.go)
	treeID  int64    // the source tree's identity for file rows (racy.go)
}

type entryMsg struct {
	e      Entry
	err    error
	reused *plannedSubtree // e is this subtree's directory, the entries below it skipped
}

type result struct {
	n   *node
	err error
}

// Run reads entries to the end, uploads what the cache does not already
// hold, and returns the cap of the root wrapper: an immutable directory
// whose one child, named Options.Name, is the backed-up tree. Entries that
// vanished or could not be read are left out and listed in Stats; grid and
// cache errors, a malformed stream and cancellation end the run with an
// error, after the cache has been flushed so a rerun reuses the finished
// work. Run closes entries. It reads them once, so it records subtree rows
// (with Options.WalkStarted) but reuses none; RunFrom does.
func (u *Uploader) Run(ctx context.Context, entries Entries) (rootCap string, stats Stats, err error) {
	return u.run(ctx, entries, plan{})
}

// RunFrom is Run on entries it opens twice (the same ones both times):
// with Options.WalkStarted set, the first pass finds the directories whose
// whole subtree is unchanged since a run recorded it, and the second
// reuses each of them with one cache row, without a stat, a lookup or a
// generation bump for anything inside (docs/uploader.md, Subtrees).
// Without WalkStarted, or with DisableDedup, it is Run.
func (u *Uploader) RunFrom(ctx context.Context, open func() (Entries, error)) (string, Stats, error) {
	var p plan
	if !u.opts.WalkStarted.IsZero() && !u.opts.DisableDedup {
		es, err := open()
		if err != nil {
			return "", Stats{}, fmt.Errorf("uploader: open entries: %w", err)
		}
		start := time.Now()
		var lookups int
		p, lookups, err = u.makePlan(ctx, es)
		if cerr := es.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("uploader: close entries: %w", cerr)
		}
		if err != nil {
			return "", Stats{}, err
		}
		u.opts.Logger.Debug("subtrees unchanged", "subtrees", len(p.subs), "lookups", lookups, "took", time.Since(start))
	}
	es, err := open()
	if err != nil {
		return "", Stats{}, fmt.Errorf("uploader: open entries: %w", err)
	}
	return u.run(ctx, es, p)
}

func (u *Uploader) run(ctx context.Context, entries Entries, p plan) (rootCap string, stats Stats, err error) {
	c := &counters{start: u.opts.Now(), escape: pathesc.Escape}
	u.cur.Store(c)
	r := &build{Uploader: u, stats: c, log: u.opts.Logger, tree: newTree(u.opts.LinkCandidates), flights: newFlights(), plan: p,
		dirs: openDirs{open: map[*srcDir]struct{}{}}, treeID: treeOf(u.opts.Root)}
	if p.links != nil {
		r.tree.links = *p.links
	}
	if !u.opts.WalkStarted.IsZero() {
		r.tree.hash = newSubtreeHasher(u.opts.SourcePattern, u.encodingOf)
		r.tree.walkStarted = u.opts.WalkStarted.UnixNano()
	}
	defer func() {
		c.mu.Lock()
		c.end = u.opts.Now()
		c.mu.Unlock()
		stats = c.snapshot(c.end)
	}()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	entryCh, stopReader := readEntries(entries, r.plan.subs)
	workCh := make(chan *node)
	resCh := make(chan result)
	var wg sync.WaitGroup
	for range u.opts.Jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range workCh {
				resCh <- result{n, r.process(ctx, n)}
			}
		}()
	}

	err = r.loop(ctx, entryCh, workCh, resCh)
	cancel()
	close(workCh)
	go func() { wg.Wait(); close(resCh) }()
	for range resCh { // drain: in-flight work ends (cancelled) before the flush
	}
	r.dirs.closeAll()
	stopReader()
	if cerr := entries.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("uploader: close entries: %w", cerr)
	}
	if ferr := u.cache.flush(); ferr != nil {
		err = errors.Join(err, ferr)
	}
	if err != nil {
		return "", stats, err
	}
	return r.wrap.cap, stats, nil
}

// readEntries reads the stream in a goroutine. It passes over the entries
// below each planned subtree (Skipper.Skip when entries has it, else
// reading and dropping them) and hands on the subtree's own directory
// with it. stop ends it and waits for it, so entries can be closed
// afterwards.
func readEntries(entries Entries, subs []plannedSubtree) (<-chan entryMsg, func()) {
	ch := make(chan entryMsg, 64)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		rd := planReader{entries: entries, subs: subs}
		for {
			m := rd.next()
			select {
			case ch <- m:
			case <-quit:
				return
			}
			if m.err != nil {
				return
			}
		}
	}()
	return ch, func() { close(quit); <-done }
}

// Skipper is what Entries may also do: pass over the next n entries
// without decoding them (queue.Reader does), for subtrees reused whole.
type Skipper interface {
	Skip(n int64) error
}

// planReader reads entries, passing over planned subtrees.
type planReader struct {
	entries Entries
	subs    []plannedSubtree
	ord     int64 // ordinal of the next entry
}

func (p *planReader) next() entryMsg {
	var s *plannedSubtree
	if len(p.subs) > 0 && p.ord >= p.subs[0].first {
		s = &p.subs[0]
		p.subs = p.subs[1:]
		if err := p.skip(s.last - p.ord); err != nil {
			return entryMsg{err: err}
		}
	}
	e, err := p.entries.Next()
	p.ord++
	if err == io.EOF && (s != nil || len(p.subs) > 0) {
		err = fmt.Errorf("the stream ended early: %w", errPassesDiffer)
	}
	return entryMsg{e: e, err: err, reused: s}
}

func (p *planReader) skip(n int64) error {
	p.ord += n
	if sk, ok := p.entries.(Skipper); ok {
		if err := sk.Skip(n); err != nil {
			return fmt.Errorf("skip a reused subtree: %w (%w)", err, errPassesDiffer)
		}
		return nil
	}
	for ; n > 0; n-- {
		if _, err := p.entries.Next(); err != nil {
			if err == io.EOF {
				err = errPassesDiffer
			}
			return fmt.Errorf("skip a reused subtree: %w", err)
		}
	}
	return nil
}

// loop is the driver: it alone owns the tree. It reads entries while
// fewer than Window nodes are unfinished, hands ready nodes to the workers
// and takes their results, until the wrapper is done and the stream ended.
func (b *build) loop(ctx context.Context, entryCh <-chan entryMsg, workCh chan<- *node, resCh <-chan result) error {
	defer b.aside.stop()
	for b.wrap == nil || !b.eof {
		var in <-chan entryMsg
		if !b.eof && b.tree.pending < b.opts.Window {
			in = entryCh
		}
		var out chan<- *node
		next := b.ready.peek()
		if next != nil {
			out = workCh
		}
		if in == nil && out == nil && b.busy == 0 && !b.aside.start(ctx, b.opts.RefusedWait, b.log) {
			return errors.New("uploader: internal error: the tree is not finished but nothing is left to do")
		}
		select {
		case m := <-in:
			if err := b.entry(m); err != nil {
				return err
			}
		case out <- next:
			b.ready.pop()
			b.busy++
		case res := <-resCh:
			b.busy--
			if res.err != nil {
				if err := b.refused(ctx, res.n, res.err); err != nil {
					return err
				}
				continue
			}
			b.finished(res.n)
		case <-b.aside.due():
			for _, n := range b.aside.take() {
				b.ready.push(n)
			}
		case <-ctx.Done():
			return fmt.Errorf("uploader: %w", ctx.Err())
		}
	}
	return nil
}

func (b *build) entry(m entryMsg) error {
	if m.err == io.EOF {
		b.eof = true
		if b.tree.root == nil {
			return errors.New("uploader: stream ended before the root entry")
		}
		return nil
	}
	if m.err != nil {
		return fmt.Errorf("uploader: read entries: %w", m.err)
	}
	b.stats.entries.Add(1)
	b.stats.setCurrent(m.e.Path)
	n, ready, err := b.tree.add(m.e, m.reused)
	if err != nil {
		return fmt.Errorf("uploader: %w", err)
	}
	if m.reused != nil {
		return b.reuseSubtree(n, m.reused)
	}
	b.stats.peakPending = max(b.stats.peakPending, b.tree.pending)
	if ready {
		b.ready.push(n)
	}
	return nil
}

// errPassesDiffer: RunFrom's second pass over the entries did not see what
// the first saw.
var errPassesDiffer = errors.New("the entries changed between the passes")

// reuseSubtree finishes the directory n, reused whole from the plan's row
// with the edge its own entry gives, as mkdir would have made it.
func (b *build) reuseSubtree(n *node, s *plannedSubtree) error {
	if n.kind != kindDir || b.tree.hash.key(n.path, s.id.digest) != s.id.key {
		return fmt.Errorf("uploader: entry %s is not the directory the first pass saw there: %w", pathesc.Escape(n.path), errPassesDiffer)
	}
	if err := b.cache.useSubtree(s.id.key); err != nil {
		return err
	}
	n.cap, n.lease = s.row.Cap, s.row.RenewedAt
	n.edge = treeformat.Edge{Meta: n.meta}
	b.stats.subtreesReused.Add(1)
	b.stats.entries.Add(s.id.entries - 1) // those below it, passed over
	b.stats.filesReused.Add(s.id.files)
	b.stats.dirsReused.Add(s.id.dirs)
	b.finished(n)
	return nil
}

func (b *build) finished(n *node) {
	if n.kind == kindWrapper {
		b.wrap = n
	}
	if next := b.tree.done(n); next != nil {
		b.ready.push(next)
	}
}

// process does the work of one node in a worker. Problems with one source
// entry are recorded and return nil; the error it returns ends the run.
func (b *build) process(ctx context.Context, n *node) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch n.kind {
	case kindFile:
		return b.file(ctx, n)
	case kindSymlink:
		return b.symlink(ctx, n)
	case kindSpecial:
		b.special(n)
		return nil
	case kindDir:
		return b.mkdir(ctx, n)
	default:
		return b.wrapper(ctx, n)
	}
}

// fifo is the queue of nodes ready for a worker.
type fifo struct {
	items []*node
	head  int
}

func (q *fifo) push(n *node) { q.items = append(q.items, n) }

func (q *fifo) peek() *node {
	if q.head == len(q.items) {
		return nil
	}
	return q.items[q.head]
}

func (q *fifo) pop() {
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 1024 && q.head*2 > len(q.items) {
		q.items = append(q.items[:0], q.items[q.head:]...)
		q.head = 0
	}
}
