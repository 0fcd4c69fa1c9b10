package uploader

import (
	"fmt"
	"strings"

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
}

// dirState collects a directory's children until the directory's own entry
// has arrived and every child is done.
type dirState struct {
	children []*node
	pending  int   // children not done yet
	self     *node // the directory's node, once its entry was read
}

type devIno struct{ dev, ino uint64 }

// tree is the driver's state: the directories open on the path being built
// (children seen, own entry not yet), hardlink groups, and the count of
// nodes not finished.
type tree struct {
	open    map[string]*dirState
	links   map[devIno]string
	cand    func(dev, ino uint64) bool // nil: every multiply-linked file
	pending int
	root    *node
}

func newTree(cand func(dev, ino uint64) bool) *tree {
	return &tree{open: map[string]*dirState{}, links: map[devIno]string{}, cand: cand}
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
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." {
			return fmt.Errorf("bad path %s", pathesc.Escape(p))
		}
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
// children are not all done).
func (t *tree) add(e Entry) (*node, bool, error) {
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
	return n, kind != kindDir || n.dir.pending == 0, nil
}

// hardlink records the first member of a (dev, ino) group and points later
// members at it.
func (t *tree) hardlink(n *node) {
	k := devIno{n.meta.Dev, n.meta.Ino}
	if t.cand != nil && !t.cand(k.dev, k.ino) {
		return
	}
	if first, ok := t.links[k]; ok {
		n.hardlink = first
		return
	}
	t.links[k] = n.path
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
