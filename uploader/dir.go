package uploader

import (
	"context"
	"fmt"
	"time"

	"github.com/lafs-backup/lafs-backup/internal/logx"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/treeformat"
)

// mkdir builds a directory from its children that were not left out: each
// gets its on-grid name (rawname in its metadata when that differs from
// the raw name), the directory key covers every child's name, cap and
// metadata, and the directory is created with Mkdir unless the cache holds
// that key. The cache is flushed after a directory unless it was flushed
// less than flushEvery ago.
func (b *build) mkdir(ctx context.Context, n *node) error {
	b.dirs.release(&n.dir.src) // every child is done: nothing reads the directory any more
	kids := make([]*node, 0, len(n.dir.children))
	for _, c := range n.dir.children {
		if !c.omit {
			kids = append(kids, c)
		}
	}
	children, keyed, err := b.childMap(kids)
	if err != nil {
		return fmt.Errorf("uploader: directory %s: %w", pathesc.Escape(n.path), err)
	}
	key, err := dirKey(b.opts.SourcePattern, n.meta, keyed)
	if err != nil {
		return fmt.Errorf("uploader: directory %s: %w", pathesc.Escape(n.path), err)
	}
	cap, lease, _, err := b.dirCap(ctx, key, keyed, children)
	if err != nil {
		return fmt.Errorf("uploader: directory %s: %w", pathesc.Escape(n.path), err)
	}
	n.cap = cap
	n.edge = treeformat.Edge{Meta: n.meta}
	n.dir.children = nil // done with them: only the directory's own result stays
	if err := b.recordSubtree(n, lease); err != nil {
		return fmt.Errorf("uploader: directory %s: %w", pathesc.Escape(n.path), err)
	}
	if b.log.Enabled(ctx, logx.LevelNoise) {
		b.log.Log(ctx, logx.LevelNoise, "directory done", "path", pathesc.Escape(n.path), "children", len(kids))
	}
	return b.cache.flushSoon()
}

// childMap names the children and returns them as Mkdir and the key want
// them.
func (b *build) childMap(kids []*node) (map[string]Child, []keyChild, error) {
	raws := make([]string, len(kids))
	for i, c := range kids {
		raws[i] = c.name
	}
	names, err := treeformat.AssignNames(raws)
	if err != nil {
		return nil, nil, err
	}
	children := make(map[string]Child, len(kids))
	keyed := make([]keyChild, len(kids))
	for i, c := range kids {
		md := encodeNamed(c.edge, c.name, names[i])
		dir := c.kind == kindDir
		children[names[i]] = Child{Dir: dir, Cap: c.cap, Metadata: md}
		keyed[i] = keyChild{name: names[i], dir: dir, cap: c.cap, meta: md}
	}
	return children, keyed, nil
}

// recordSubtree records the subtree row of the directory n just built,
// when subtree rows are on and nothing in it is dirty (docs/uploader.md,
// Subtrees). lease is the directory object's own last renewal; n.lease
// becomes the oldest in the subtree.
func (b *build) recordSubtree(n *node, lease time.Time) error {
	n.lease = older(n.dir.oldest, leaseOf(n.cap, lease))
	n.dirty = n.dirty || n.dir.dirty
	if n.sub == nil || n.dirty {
		return nil
	}
	b.stats.subtreesRecorded.Add(1)
	return b.cache.putSubtree(n.sub.key, Subtree{Cap: n.cap, Entries: n.sub.entries, RenewedAt: n.lease})
}

// leaseOf is an object's lease time for the subtree bookkeeping: none for
// a LIT cap, which has no shares.
func leaseOf(cap string, renewed time.Time) time.Time {
	if isLIT(cap) {
		return time.Time{}
	}
	return renewed
}

// dirCap returns the cap of the directory with these children, from the
// cache under key or created now and recorded, and when its lease was
// last renewed.
// dirCap returns the cap of the directory with key and children, from
// the cache or made now (created).
func (b *build) dirCap(ctx context.Context, key [32]byte, keyed []keyChild, children map[string]Child) (cap string, renewed time.Time, created bool, err error) {
	obj, ok, err := b.reuse(ctx, key, nil)
	if err != nil {
		return "", time.Time{}, false, err
	}
	if ok {
		b.stats.dirsReused.Add(1)
		return obj.Cap, obj.RenewedAt, false, nil
	}
	id, err := dirContentID(keyed)
	if err != nil {
		return "", time.Time{}, false, err
	}
	release, err := b.flights.acquire(ctx, id)
	if err != nil {
		return "", time.Time{}, false, err
	}
	defer release()
	// An identical directory (same key) may have been created while this
	// one waited for the flight.
	if obj, ok, err = b.fresh(key); err != nil || ok {
		if ok {
			b.stats.dirsReused.Add(1)
		}
		return obj.Cap, obj.RenewedAt, false, err
	}
	cap, err = b.grid.Mkdir(ctx, children)
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("mkdir-immutable: %w", err)
	}
	b.stats.dirsCreated.Add(1)
	return cap, b.opts.Now(), true, b.record(key, Object{Cap: cap}, true)
}

// wrapper builds the root wrapper: a directory whose one child, named
// Options.Name, is the tree, with the source root's own metadata and the
// format marker on its edge. It is deterministic: an unchanged tree gives
// the same wrapper cap.
func (b *build) wrapper(ctx context.Context, w *node) error {
	root := w.dir.children[0]
	names, err := treeformat.AssignNames([]string{b.opts.Name})
	if err != nil {
		return fmt.Errorf("uploader: wrapper: %w", err)
	}
	md := encodeNamed(treeformat.WrapperEdge(root.meta), b.opts.Name, names[0])
	child := keyChild{name: names[0], dir: true, cap: root.cap, meta: md}
	key, err := wrapperKey(b.opts.SourcePattern, child)
	if err != nil {
		return fmt.Errorf("uploader: wrapper: %w", err)
	}
	cap, _, created, err := b.dirCap(ctx, key, []keyChild{child}, map[string]Child{child.name: {Dir: true, Cap: root.cap, Metadata: md}})
	if err != nil {
		return fmt.Errorf("uploader: wrapper: %w", err)
	}
	if created {
		b.stats.wrapper.Store(wrapperCreated)
	} else {
		b.stats.wrapper.Store(wrapperReused)
	}
	w.cap = cap
	return b.cache.flush()
}

// encodeNamed is the edge metadata of a child with raw name raw stored as
// onGrid: rawname is recorded when the two differ (docs/metadata.md, Names).
func encodeNamed(e treeformat.Edge, raw, onGrid string) map[string]any {
	if raw != onGrid {
		e.RawName = raw
	}
	return treeformat.Encode(e)
}
