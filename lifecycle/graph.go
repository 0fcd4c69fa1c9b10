package lifecycle

import (
	"sync"

	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// Flags describe what went wrong with an object, or (ORed over a subtree)
// anywhere below a directory.
type Flags uint8

const (
	FlagUnhealthy     Flags = 1 << iota // fewer shares than expected, still readable
	FlagUnrecoverable                   // not readable: too few shares, or an unknown object
	FlagIncomplete                      // the subtree was not walked (directory unreadable, or a request failed)
	FlagFailed                          // a request failed: no verdict (gateway error, network)
)

// OK reports whether nothing went wrong.
func (f Flags) OK() bool { return f == 0 }

// capKey is how the walker remembers an object: a hash of its read cap, so
// a million objects cost a few tens of megabytes, not their caps' text.
type capKey [16]byte

// graph is the set of distinct objects reached, with each directory's
// children, so that a problem can be traced to every root that reaches it.
type graph struct {
	mu    sync.Mutex
	index map[capKey]int32
	nodes []gnode
}

type gnode struct {
	flags    Flags
	dir      bool
	children []int32
	// memo for subtree flags: 0 not computed, 1 in progress, 2 done
	state uint8
	sub   Flags
}

func newGraph() *graph { return &graph{index: map[capKey]int32{}} }

// add returns the node of c, and whether it is new.
func (g *graph) add(c lafsapi.Cap, dir bool) (int32, bool) {
	k := keyOf(c)
	g.mu.Lock()
	defer g.mu.Unlock()
	if id, ok := g.index[k]; ok {
		return id, false
	}
	id := int32(len(g.nodes))
	g.index[k] = id
	g.nodes = append(g.nodes, gnode{dir: dir})
	return id, true
}

// lookup returns the node of c, if it was reached.
func (g *graph) lookup(c lafsapi.Cap) (int32, bool) { return g.lookupKey(keyOf(c)) }

func (g *graph) lookupKey(k capKey) (int32, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	id, ok := g.index[k]
	return id, ok
}

// flagsOf returns the flags of node id itself.
func (g *graph) flagsOf(id int32) Flags {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.nodes[id].flags
}

func (g *graph) setChildren(id int32, children []int32) {
	g.mu.Lock()
	g.nodes[id].children = children
	g.mu.Unlock()
}

func (g *graph) mark(id int32, f Flags) {
	g.mu.Lock()
	g.nodes[id].flags |= f
	g.mu.Unlock()
}

func (g *graph) len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.nodes)
}

// subtree returns the flags of id ORed with those of everything below it.
// Call it only after the walk ended. A cycle (possible only through
// mutable directories) contributes nothing more on its way back.
func (g *graph) subtree(id int32) Flags {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sub(id)
}

func (g *graph) sub(id int32) Flags {
	n := &g.nodes[id]
	switch n.state {
	case 1:
		return 0
	case 2:
		return n.sub
	}
	n.state = 1
	f := n.flags
	for _, c := range n.children {
		f |= g.sub(c)
	}
	n = &g.nodes[id]
	n.state, n.sub = 2, f
	return f
}
