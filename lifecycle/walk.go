package lifecycle

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// Grid is what this package needs of a gateway; *lafsapi.Client has it.
type Grid interface {
	Info(ctx context.Context, root lafsapi.Cap, path ...string) (lafsapi.Node, error)
	Check(ctx context.Context, obj lafsapi.Cap, opts lafsapi.CheckOptions) (lafsapi.CheckResult, error)
	StreamDeepCheck(ctx context.Context, root lafsapi.Cap, opts lafsapi.CheckOptions, fn func(lafsapi.DeepCheckUnit) error) error
	StreamManifest(ctx context.Context, root lafsapi.Cap, fn func(lafsapi.ManifestUnit) error) error
	Unlink(ctx context.Context, dir lafsapi.Cap, name string, expect lafsapi.Cap) error
}

var _ Grid = (*lafsapi.Client)(nil)

// pathRef is an object's path as a chain of names, rendered only when a
// problem is reported.
type pathRef struct {
	parent *pathRef
	name   string
}

func (p *pathRef) String() string {
	var names []string
	for ; p != nil; p = p.parent {
		names = append(names, p.name)
	}
	slices.Reverse(names)
	return strings.Join(names, "/")
}

// item is an object the walk reached for the first time.
type item struct {
	cap  lafsapi.Cap
	id   int32
	root int // index of the first root that reached it
	path *pathRef
	dir  bool
}

// walker reads every distinct directory reachable from the roots once,
// Jobs at a time, and hands every newly reached object to visit (from
// Jobs goroutines of its own). visit may be nil: then it only collects.
type walker struct {
	grid  Grid
	g     *graph
	jobs  int
	visit func(ctx context.Context, it item)
	// problem reports an object that could not be walked or is unknown.
	problem  func(it item, name string, f Flags, err error)
	progress *Progress
}

// walk walks from roots. It returns only ctx's error: problems go to
// w.problem and into the graph's flags.
func (w *walker) walk(ctx context.Context, roots []lafsapi.Cap) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := newDirQueue()
	var out chan item
	var visitors sync.WaitGroup
	if w.visit != nil {
		out = make(chan item, w.jobs)
		for range w.jobs {
			visitors.Go(func() {
				for it := range out {
					w.visit(ctx, it)
				}
			})
		}
	}
	emit := func(it item) bool {
		if out == nil {
			return true
		}
		select {
		case out <- it:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for i, r := range roots {
		id, isNew := w.g.add(r, r.IsDir())
		if !isNew {
			continue
		}
		w.progress.reached()
		it := item{cap: r, id: id, root: i, dir: r.IsDir()}
		if it.dir {
			q.push(it)
		}
		emit(it)
	}
	q.start()
	stop := context.AfterFunc(ctx, q.abort)
	defer stop()
	var readers sync.WaitGroup
	for range w.jobs {
		readers.Go(func() {
			for {
				it, ok := q.pop()
				if !ok {
					return
				}
				w.readDir(ctx, q, it, emit)
				q.done()
			}
		})
	}
	readers.Wait()
	if out != nil {
		close(out)
	}
	visitors.Wait()
	return ctx.Err()
}

// readDir lists one directory, records its children and queues the ones
// seen for the first time.
func (w *walker) readDir(ctx context.Context, q *dirQueue, it item, emit func(item) bool) {
	n, err := w.grid.Info(ctx, it.cap)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		f := FlagFailed | FlagIncomplete
		if lafsapi.IsGone(err) || lafsapi.IsNotFound(err) {
			f = FlagUnrecoverable | FlagIncomplete
		}
		w.g.mark(it.id, f)
		w.problem(it, "", f, err)
		return
	}
	names := make([]string, 0, len(n.Children))
	for name := range n.Children {
		names = append(names, name)
	}
	slices.Sort(names) // reports name the same path every time
	children := make([]int32, 0, len(names))
	for _, name := range names {
		ch := n.Children[name]
		key := ch.ReadCap
		if key.IsZero() {
			key = ch.Cap
		}
		if ch.Type == "unknown" || key.IsZero() {
			w.g.mark(it.id, FlagUnrecoverable)
			w.problem(it, name, FlagUnrecoverable, errUnknownObject)
			continue
		}
		id, isNew := w.g.add(key, ch.IsDir())
		children = append(children, id)
		if !isNew {
			continue
		}
		w.progress.reached()
		child := item{cap: ch.Cap, id: id, root: it.root, path: &pathRef{it.path, name}, dir: ch.IsDir()}
		if child.dir {
			q.push(child)
		}
		if !emit(child) {
			return
		}
	}
	w.g.setChildren(it.id, children)
}

// dirQueue is the walk's work list: LIFO, so the walk goes depth first and
// the list stays short. It closes itself when nothing is queued and no
// directory is being read (a read may queue more).
type dirQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	items   []item
	pending int // queued or being read
	started bool
	closed  bool
}

func newDirQueue() *dirQueue {
	q := &dirQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *dirQueue) push(it item) {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.pending++
	q.mu.Unlock()
	q.cond.Signal()
}

// start lets the queue close once empty (before, an empty queue just means
// the roots are not pushed yet).
func (q *dirQueue) start() {
	q.mu.Lock()
	q.started = true
	if q.pending == 0 {
		q.closed = true
	}
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *dirQueue) pop() (item, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return item{}, false
	}
	it := q.items[len(q.items)-1]
	q.items[len(q.items)-1] = item{}
	q.items = q.items[:len(q.items)-1]
	return it, true
}

// done ends the read of one popped directory.
func (q *dirQueue) done() {
	q.mu.Lock()
	q.pending--
	closed := q.pending == 0 && q.started
	if closed {
		q.closed = true
	}
	q.mu.Unlock()
	if closed {
		q.cond.Broadcast()
	}
}

func (q *dirQueue) abort() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
