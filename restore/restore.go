package restore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/logx"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// Run restores the backup whose root cap is root (either format) into
// o.Target, and returns what it did. Entries that cannot be restored, or
// whose metadata cannot be applied fully, are listed in Stats.Failed and
// the restore goes on; the error is for what stops it as a whole (the
// backup unreadable, the target unusable, ctx cancelled).
func Run(ctx context.Context, g Grid, root lafsapi.Cap, o Options) (Stats, error) {
	o.setDefaults()
	if err := checkProc(); err != nil {
		return Stats{}, err
	}
	t, err := openTop(ctx, g, root, o.SubPath)
	if err != nil {
		return Stats{}, err
	}
	target, err := prepareTarget(o.Target, o.Force)
	if err != nil {
		return Stats{}, err
	}
	defer target.release()
	r := &restorer{ctx: ctx, g: g, o: o, owner: !o.NoOwner && isRoot(),
		failed: map[string]bool{}, jobs: make(chan func())}
	r.stats.Format, r.stats.Name = t.format, t.name
	r.run(ctx, target, t)
	return r.stats, ctx.Err()
}

// restorer is one run of Run.
type restorer struct {
	ctx   context.Context
	g     Grid
	o     Options
	owner bool // set owners (root, and not NoOwner)

	mu     sync.Mutex
	stats  Stats
	failed map[string]bool // relative paths of entries that could not be written

	jobs chan func()
	wg   sync.WaitGroup

	top   top
	dirs  []dirMeta  // directories in post-order: metadata applied at the end
	links []linkItem // hardlink members, linked once every file is written
	stack []string   // caps of the directories being walked (cycle guard)
}

// dirMeta is a directory whose metadata waits for its content.
type dirMeta struct {
	rel   string
	meta  fsmeta.Meta
	owner bool
}

// linkItem is a hardlink member waiting for the end of the walk.
type linkItem struct {
	rel string
	e   entry
}

func (r *restorer) run(ctx context.Context, target *dir, t top) {
	r.top = t
	for range r.o.Jobs {
		go func() {
			for job := range r.jobs {
				job()
			}
		}()
	}
	if t.e.node.IsDir() {
		r.stack = []string{t.e.node.Cap.Secret()}
		r.walkDir(ctx, target, t.e.node)
		r.stats.Dirs++
		if t.hasMeta {
			r.dirs = append(r.dirs, dirMeta{rel: "", meta: t.e.meta, owner: t.e.owner})
		}
	} else {
		r.submit(ctx, target, t.e, t.e.name)
	}
	r.wg.Wait()
	close(r.jobs)
	if ctx.Err() != nil {
		return
	}
	r.makeLinks(ctx, target)
	r.applyDirs(target)
}

// walkDir restores the children of node into d: directories at once
// (depth first), everything else through the job pool.
func (r *restorer) walkDir(ctx context.Context, d *dir, node lafsapi.Node) {
	good, bad := children(node)
	for _, b := range bad {
		r.fail(joinPath(d.rel, b.name), b.err)
	}
	for _, e := range good {
		if ctx.Err() != nil {
			return
		}
		rel := joinPath(d.rel, e.name)
		switch {
		case e.node.IsDir():
			r.restoreDir(ctx, d, e, rel)
		case e.hardlink != "":
			r.links = append(r.links, linkItem{rel: rel, e: slim(e)})
		default:
			r.submit(ctx, d, slim(e), rel)
		}
	}
}

// slim drops what a waiting entry no longer needs (the raw metadata).
func slim(e entry) entry {
	e.node = lafsapi.Node{Type: e.node.Type, Cap: e.node.Cap, Size: e.node.Size}
	return e
}

func (r *restorer) restoreDir(ctx context.Context, parent *dir, e entry, rel string) {
	secret := e.node.Cap.Secret()
	for _, s := range r.stack {
		if s == secret {
			r.fail(rel, errors.New("refused: the directory contains itself (a cycle of mutable directories)"))
			return
		}
	}
	sub, err := mkdirChild(parent, e.name)
	if err != nil {
		r.fail(rel, err)
		return
	}
	defer sub.release()
	r.count(func(s *Stats) { s.Dirs++ })
	if n, err := r.g.Info(ctx, e.node.Cap); err != nil {
		r.fail(rel, fmt.Errorf("read the directory from the grid: %w", err))
	} else {
		r.stack = append(r.stack, secret)
		r.walkDir(ctx, sub, n)
		r.stack = r.stack[:len(r.stack)-1]
	}
	// Post-order: this directory after everything below it.
	r.dirs = append(r.dirs, dirMeta{rel: rel, meta: e.meta, owner: e.owner})
	r.o.Progress.Entry(rel, false)
}

// submit hands a non-directory entry to the job pool.
func (r *restorer) submit(ctx context.Context, d *dir, e entry, rel string) {
	d.acquire()
	r.wg.Add(1)
	job := func() {
		defer r.wg.Done()
		defer d.release()
		r.leaf(ctx, d, e, rel)
	}
	select {
	case r.jobs <- job:
	case <-ctx.Done():
		d.release()
		r.wg.Done()
	}
}

// leaf restores a file, symlink or special file, then its metadata.
func (r *restorer) leaf(ctx context.Context, d *dir, e entry, rel string) {
	var err error
	switch e.meta.Type {
	case fsmeta.TypeFile:
		err = r.writeFile(ctx, d, e, rel)
	case fsmeta.TypeSymlink:
		err = r.writeSymlink(ctx, d, e)
	default:
		err = r.mknod(d, e)
	}
	var soft softError
	if err != nil && !errors.As(err, &soft) {
		r.fail(rel, err)
		r.o.Progress.Entry(rel, true)
		return
	}
	if err != nil {
		r.fail(rel, err)
	}
	ok := r.applyMeta(d, e.name, e.meta, e.owner, rel) && err == nil
	logx.Noise(ctx, r.o.Logger, "restored", "path", pathesc.Escape(rel), "type", e.meta.Type.String())
	r.o.Progress.Entry(rel, !ok)
}

// softError is a problem with an entry that was restored all the same
// (e.g. its size differs from the recorded one).
type softError struct{ error }

func (r *restorer) count(f func(*Stats)) {
	r.mu.Lock()
	f(&r.stats)
	r.mu.Unlock()
}

// fail records a failed entry, unless the run is being cancelled.
func (r *restorer) fail(rel string, err error) {
	if r.ctx.Err() != nil {
		return
	}
	r.mu.Lock()
	r.stats.Failed = append(r.stats.Failed, Failure{Path: rel, Err: err})
	r.failed[rel] = true
	r.mu.Unlock()
	r.o.Logger.Debug("restore: " + displayPath(rel) + ": " + err.Error())
}

func (r *restorer) hasFailed(rel string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed[rel]
}

// applyDirs applies the directories' metadata, deepest first (they were
// recorded in post-order), once nothing more is written into them.
func (r *restorer) applyDirs(target *dir) {
	for _, dm := range r.dirs {
		d, err := openRel(target, dm.rel)
		if err != nil {
			r.fail(dm.rel, err)
			continue
		}
		r.applyMeta(d, ".", dm.meta, dm.owner, dm.rel)
		d.release()
	}
}

// cleanErr removes the /proc/self/fd prefix procPath put into messages.
func cleanErr(d *dir, err error) error {
	if err == nil {
		return nil
	}
	return errors.New(strings.ReplaceAll(err.Error(), `"`+d.procPath(""), `"`))
}
