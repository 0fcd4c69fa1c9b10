package browse

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/treeformat"
)

// Entry is one node of a backup tree with the metadata of the edge that
// leads to it.
type Entry struct {
	// Path is the raw path from the tree root ("" is the root itself),
	// made of raw names: what restore would write.
	Path string
	// Name is the raw name: the recorded rawname, else the on-grid name
	// (docs/metadata.md, Names). GridName is the name the gateway stores.
	Name, GridName string
	// Node is the gateway's node: type, cap, the filenode's own size, and
	// a directory's children once listed.
	Node lafsapi.Node
	// Edge is the decoded edge metadata, valid when Known and Err is nil.
	Edge treeformat.Edge
	// Known: the edge was recorded (false only for the root of a tree of
	// the original tool, whose metadata was not kept).
	Known bool
	// Err says why the edge metadata could not be decoded.
	Err error

	listed bool // Node.Children is the directory's listing
}

// IsDir reports whether the entry is a directory node.
func (e Entry) IsDir() bool { return e.Node.IsDir() }

// Display is the entry's path for output: escaped (internal/pathesc), "."
// for the root.
func (e Entry) Display() string { return displayPath(e.Path) }

// rootEntry is the root of a tree of the original tool: listed, no
// metadata.
func rootEntry(n lafsapi.Node) Entry {
	return Entry{Node: n, listed: true}
}

// Decode makes the entry for the child gridName (node n, as listed) of
// the directory at path parent: the edge decoded with treeformat.Decode,
// the raw name from rawname. It never fails: a problem is kept in Err. It
// does not judge the raw name (restore refuses names like ".." before it
// writes; browsing only shows them, escaped).
func Decode(parent, gridName string, n lafsapi.Node) Entry {
	e := Entry{Name: gridName, GridName: gridName, Node: n, Known: true}
	var dir bool
	switch n.Type {
	case "dirnode":
		dir = true
	case "filenode":
	default:
		e.Err = fmt.Errorf("node of unknown type %q", n.Type)
	}
	if e.Err == nil {
		e.Edge, e.Err = treeformat.Decode(n.Metadata, dir, n.Size)
		if e.Edge.RawName != "" {
			e.Name = e.Edge.RawName
		}
	}
	e.Path = join(parent, e.Name)
	return e
}

// Children decodes the children of a listed directory, sorted by raw
// name (byte order; on-grid name when raw names repeat, which only a
// hand-made tree does).
func Children(dir Entry) []Entry {
	out := make([]Entry, 0, len(dir.Node.Children))
	for gn, n := range dir.Node.Children {
		out = append(out, Decode(dir.Path, gn, n))
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.GridName, b.GridName))
	})
	return out
}

// List returns the children of the directory e (listing it with one
// request unless it was listed already), sorted as Children sorts them.
func List(ctx context.Context, g Grid, e Entry) ([]Entry, error) {
	e, err := listed(ctx, g, e)
	if err != nil {
		return nil, err
	}
	return Children(e), nil
}

// listed returns e with its listing, reading it when it has none yet.
func listed(ctx context.Context, g Grid, e Entry) (Entry, error) {
	if e.listed {
		return e, nil
	}
	if !e.IsDir() {
		return e, fmt.Errorf("%s is not a directory", e.Display())
	}
	n, err := g.Info(ctx, e.Node.Cap)
	if err != nil {
		return e, fmt.Errorf("read %s: %w", e.Display(), err)
	}
	e.Node.Children, e.listed = n.Children, true
	if e.Node.Children == nil {
		e.Node.Children = map[string]lafsapi.Node{}
	}
	return e, nil
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
