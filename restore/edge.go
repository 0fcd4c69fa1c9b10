package restore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lafs-backup/lafs-backup/browse"
	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/treeformat"
)

// entry is one child of a directory on the grid, decoded from its node and
// edge metadata.
type entry struct {
	name     string // local name: the raw name bytes (rawname) or the on-grid name
	gridName string // the name the gateway stores
	node     lafsapi.Node
	meta     fsmeta.Meta
	owner    bool   // uid and gid were recorded
	enc      string // "" or "xz"
	size     int64  // recorded original size; -1 when unknown
	hardlink string // raw path (from the tree root) of the first member of its group; "" if none
	sparse   bool   // recreate holes: those in holes, else every all-zero block
	holes    []treeformat.Hole
	listed   bool // node.Children is the directory's listing (read with Info)
}

// parseEntry decodes a child node and its edge metadata (browse.Decode,
// which uses treeformat.Decode) and checks the local name (see
// checkName); it never touches the disk.
func parseEntry(gridName string, n lafsapi.Node) (entry, error) {
	e := entry{name: gridName, gridName: gridName, node: n, size: -1}
	b := browse.Decode("", gridName, n)
	if b.Err != nil {
		return e, b.Err
	}
	ed := b.Edge
	if ed.RawName != "" {
		if err := checkName(ed.RawName); err != nil {
			return e, fmt.Errorf("rawname: %w", err)
		}
		e.name = ed.RawName
	}
	if err := checkName(e.name); err != nil {
		return e, err
	}
	e.meta, e.owner, e.enc, e.hardlink, e.sparse, e.holes = ed.Meta, ed.Owner, ed.Enc, ed.Hardlink, ed.Sparse, ed.Holes
	if ed.SizeKnown {
		e.size = ed.Meta.Size
	}
	return e, nil
}

// checkName refuses local names that could leave the directory they are
// written in: empty, ".", "..", or containing "/" or NUL.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("refused: empty name")
	case name == "." || name == "..":
		return fmt.Errorf("refused: name %q", name)
	case strings.ContainsRune(name, '/'):
		return fmt.Errorf("refused: name %s contains '/'", pathesc.Escape(name))
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("refused: name %s contains NUL", pathesc.Escape(name))
	}
	return nil
}
