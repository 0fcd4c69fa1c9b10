package uploader

import (
	"fmt"
	"strings"
	"time"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/treeformat"
)

type nodeKind uint8

const (
	kindFile nodeKind = iota
	kindSymlink
	kindSpecial
	kindDir
	kindWrapper
)

// node is one entry on its way to the grid. The driver creates it; one
// worker fills in the result (cap, md, omit); the driver reads the result
// after the worker's message.
type node struct {
	kind     nodeKind
	path     string // raw relative path; "" for the root
	name     string // raw last component
	meta     fsmeta.Meta
	hardlink string    // raw path of the first member of its hardlink group, or ""
	parent   *dirState // nil for the root and the wrapper
	dir      *dirState // children of a directory

	cap  string
	edge treeformat.Edge // what its edge records, but RawName (set with the name)
	omit bool            // skipped or failed: left out of the parent

	// Subtree bookkeeping (subtree.go), when subtree rows are enabled.
	sub   *subtreeID // a directory's subtree key, digest and entry count
	dirty bool       // this entry may not be recorded as unchanged: racy, changed since the walk, or a problem
	lease time.Time  // when its object's lease was last renewed; zero: no lease (LIT)
}

// subtreeID is what identifies a directory's subtree, and its counts.
type subtreeID struct {
	key, digest [32]byte
	entries     int64 // itself included
	files, dirs int64 // non-directories and directories, itself included
}

// dirState collects a directory's children until the directory's own entry
// has arrived and every child is done.
type dirState struct {
	children []*node
	pending  int       // children not done yet
	self     *node     // the directory's node, once its entry was read
	dirty    bool      // a child done so far is dirty or left out
	oldest   time.Time // the oldest lease among the children done so far; zero: none
	src      srcDir    // the directory's descriptor while its children are read (workers)
}

// childDone folds a finished child into the directory's subtree state.
func (ds *dirState) childDone(n *node) {
	ds.dirty = ds.dirty || n.dirty || n.omit
	ds.oldest = older(ds.oldest, n.lease)
}

// older is the earlier of two lease times, zero meaning none.
func older(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

type devIno struct{ dev, ino uint64 }

// tree is the driver's state: the directories open on the path being built
// (children seen, own entry not yet), hardlink groups, and the count of
// nodes not finished.
type tree struct {
	open    map[string]*dirState
	links   linkTable
	pending int
	root    *node
	// hash computes subtree keys as entries arrive (nil: subtree rows
	// are off); walkStarted is Options.WalkStarted for the racy check.
	hash        *subtreeHasher
	walkStarted int64
}

func newTree(cand func(dev, ino uint64) bool) *tree {
	return &tree{open: map[string]*dirState{}, links: linkTable{first: map[devIno]string{}, cand: cand}}
}

func kindOf(t fsmeta.Type) (nodeKind, bool) {
	switch t {
	case fsmeta.TypeFile:
		return kindFile, true
	case fsmeta.TypeSymlink:
		return kindSymlink, true
	case fsmeta.TypeDir:
		return kindDir, true
	case fsmeta.TypeFIFO, fsmeta.TypeSocket, fsmeta.TypeCharDev, fsmeta.TypeBlockDev:
		return kindSpecial, true
	}
	return 0, false
}

// checkPath rejects paths that cannot come from a walk: absolute, empty or
// dot components, NUL. They mean a corrupt stream.
func checkPath(p string) error {
	if p == "" {
		return nil
	}
	if strings.IndexByte(p, 0) >= 0 {
		return fmt.Errorf("path %s contains NUL", pathesc.Escape(p))
	}
	if pathesc.BadComponent(p) {
		return fmt.Errorf("bad path %s", pathesc.Escape(p))
	}
	return nil
}

func splitPath(p string) (parent, name string) {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i], p[i+1:]
	}
	return "", p
}

// add turns an entry into a node, links it to its parent's state and says
// whether it can be processed right away (everything but a directory whose
// children are not all done). reused is the plan's subtree row when e is a
// directory reused whole (its entries below were dropped): it is then
// done at once, and add says not ready.
func (t *tree) add(e Entry, reused *plannedSubtree) (*node, bool, error) {
	if t.root != nil {
		return nil, false, fmt.Errorf("entry %s after the root entry", pathesc.Escape(e.Path))
	}
	if err := checkPath(e.Path); err != nil {
		return nil, false, err
	}
	kind, ok := kindOf(e.Meta.Type)
	if !ok {
		return nil, false, fmt.Errorf("entry %s has unknown type %v", pathesc.Escape(e.Path), e.Meta.Type)
	}
	parent, name := splitPath(e.Path)
	n := &node{kind: kind, path: e.Path, name: name, meta: e.Meta}
	if kind == kindDir {
		n.dir = t.open[e.Path]
		delete(t.open, e.Path)
		if n.dir == nil {
			n.dir = &dirState{}
		}
		n.dir.self = n
	} else if e.Meta.Nlink > 1 {
		t.hardlink(n)
	}
	t.hashEntry(n, reused)
	if e.Path == "" {
		if kind != kindDir {
			return nil, false, fmt.Errorf("the root entry is a %v, not a directory", e.Meta.Type)
		}
		if err := t.orphans(); err != nil {
			return nil, false, err
		}
		t.root = n
	} else {
		ps := t.open[parent]
		if ps == nil {
			ps = &dirState{}
			t.open[parent] = ps
		}
		ps.children = append(ps.children, n)
		ps.pending++
		n.parent = ps
	}
	t.pending++
	return n, reused == nil && (kind != kindDir || n.dir.pending == 0), nil
}

// hashEntry feeds n into the subtree hasher: a directory gets its subtree
// key, or for a reused one the digest its row was found by.
func (t *tree) hashEntry(n *node, reused *plannedSubtree) {
	if t.hash == nil {
		return
	}
	n.dirty = racy(&n.meta, t.walkStarted)
	switch {
	case reused != nil:
		n.sub = &reused.id
		t.hash.subdir(n.path, reused.id)
	case n.kind == kindDir:
		id, _ := t.hash.dir(n.path, &n.meta)
		n.sub = &id
	default:
		t.hash.leaf(n.path, &n.meta, n.hardlink)
	}
}

// hardlink records the first member of a (dev, ino) group and points later
// members at it.
func (t *tree) hardlink(n *node) { n.hardlink = t.links.ref(n.path, &n.meta) }

// linkTable holds the first member of each hardlink group seen so far.
type linkTable struct {
	first map[devIno]string
	cand  func(dev, ino uint64) bool // nil: every multiply-linked file
}

// ref returns the path of the first member of the group of the
// multiply-linked non-directory entry at path, "" when it is the first
// (it is then recorded) or cannot have another link in this walk.
func (l *linkTable) ref(path string, m *fsmeta.Meta) string {
	k := devIno{m.Dev, m.Ino}
	if l.cand != nil && !l.cand(k.dev, k.ino) {
		return ""
	}
	if first, ok := l.first[k]; ok {
		if first == path { // a table filled by RunFrom's first pass
			return ""
		}
		return first
	}
	l.first[k] = path
	return ""
}

// orphans reports children whose directory never came before the root:
// the stream was not in children-before-parent order.
func (t *tree) orphans() error {
	for p, ds := range t.open {
		if p != "" && len(ds.children) > 0 {
			return fmt.Errorf("entry %s came after its parent directory %s or without it",
				pathesc.Escape(ds.children[0].path), pathesc.Escape(p))
		}
	}
	return nil
}

// done marks n finished and returns the node that became ready because of
// it: its parent directory, or the wrapper after the root. nil otherwise.
func (t *tree) done(n *node) *node {
	t.pending--
	switch {
	case n.parent != nil:
		ps := n.parent
		ps.childDone(n)
		ps.pending--
		if ps.self != nil && ps.pending == 0 {
			return ps.self
		}
	case n.kind == kindDir && n == t.root:
		t.pending++
		return &node{kind: kindWrapper, dir: &dirState{children: []*node{n}}}
	}
	return nil
}
