package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/treeformat"
)

// Grid is what restore and verify need from the gateway; *lafsapi.Client
// implements it.
type Grid interface {
	// Info reads a node (GET ?t=json); restore calls it with no path.
	Info(ctx context.Context, c lafsapi.Cap, path ...string) (lafsapi.Node, error)
	// Download streams a file's content.
	Download(ctx context.Context, c lafsapi.Cap) (io.ReadCloser, error)
}

var _ Grid = (*lafsapi.Client)(nil)

// Format says which tool wrote a backup.
type Format int

const (
	// FormatOriginal is a tree written by the original Python tool: the
	// root cap is the backed-up directory itself, without its own metadata.
	FormatOriginal Format = iota + 1
	// FormatV1 is this tool's format 1: a wrapper directory with one child
	// whose edge carries "lafs-backup-format": "1" and the root's metadata.
	FormatV1
)

func (f Format) String() string {
	switch f {
	case FormatOriginal:
		return "original lafs-backup-tool"
	case FormatV1:
		return "lafs-backup format 1"
	}
	return "unknown format"
}

// ErrNotABackup: the cap is not a directory, or not one restore can read.
var ErrNotABackup = errors.New("restore: not a backup")

// top is where a restore or verify starts: the node to restore and its
// entry (metadata known only in format 1, or below the root).
type top struct {
	format Format
	name   string // backup name (format 1); "" otherwise
	e      entry  // e.node is the top node; e.meta is valid when hasMeta
	rel    string // raw path of the top node from the tree root ("" = root)
	// hasMeta: e carries recorded metadata (format 1 root, or any entry
	// reached through SubPath).
	hasMeta bool
}

// openTop reads the root cap, detects the format, and follows subPath
// ("" or "/" = the whole tree; components separated by "/", matched
// against local names, then on-grid names).
func openTop(ctx context.Context, g Grid, root lafsapi.Cap, subPath string) (top, error) {
	if !root.IsDir() {
		return top{}, fmt.Errorf("%w: the cap is not a directory cap", ErrNotABackup)
	}
	n, err := g.Info(ctx, root)
	if err != nil {
		return top{}, fmt.Errorf("restore: read the backup's root: %w", err)
	}
	if n.Cap.IsZero() {
		n.Cap = root
	}
	t := top{format: FormatOriginal, e: entry{node: n, size: -1, listed: true}}
	t.e.meta.Type, t.e.meta.Mode = fsmeta.TypeDir, unix.S_IFDIR|0o755 // metadata unknown
	if name, child, ok := wrapped(n); ok {
		if err := t.unwrap(ctx, g, name, child); err != nil {
			return top{}, err
		}
	}
	return t, t.descend(ctx, g, subPath)
}

// wrapped reports whether n is a format wrapper: exactly one child, a
// directory, whose edge has the format key.
func wrapped(n lafsapi.Node) (string, lafsapi.Node, bool) {
	if len(n.Children) != 1 {
		return "", lafsapi.Node{}, false
	}
	for name, c := range n.Children {
		if treeformat.IsWrapperChild(c.IsDir(), c.Metadata) {
			return name, c, true
		}
	}
	return "", lafsapi.Node{}, false
}

func (t *top) unwrap(ctx context.Context, g Grid, name string, child lafsapi.Node) error {
	if v := child.Metadata[treeformat.FormatKey]; v != treeformat.FormatVersion {
		return fmt.Errorf("%w: format version %v is newer than this program reads (%s); use a newer lafs-backup",
			ErrNotABackup, v, treeformat.FormatVersion)
	}
	e, err := parseEntry(name, child)
	if err != nil {
		return fmt.Errorf("restore: the backup's root metadata: %w", err)
	}
	n, err := g.Info(ctx, child.Cap)
	if err != nil {
		return fmt.Errorf("restore: read the backup's tree: %w", err)
	}
	e.node.Children, e.listed = n.Children, true
	t.format, t.name, t.e, t.hasMeta = FormatV1, e.name, e, true
	return nil
}

// descend follows subPath from the top.
func (t *top) descend(ctx context.Context, g Grid, subPath string) error {
	for _, comp := range strings.Split(strings.Trim(subPath, "/"), "/") {
		if comp == "" || comp == "." {
			continue
		}
		if !t.e.node.IsDir() {
			return fmt.Errorf("restore: --path %s: %s is not a directory", pathesc.Escape(subPath), displayPath(t.rel))
		}
		e, err := lookup(t.e.node, comp)
		if err != nil {
			return fmt.Errorf("restore: --path %s: %w", pathesc.Escape(subPath), err)
		}
		if e.node.IsDir() {
			n, err := g.Info(ctx, e.node.Cap)
			if err != nil {
				return fmt.Errorf("restore: read %s: %w", pathesc.Escape(joinPath(t.rel, e.name)), err)
			}
			e.node.Children, e.listed = n.Children, true
		}
		t.rel, t.e, t.hasMeta = joinPath(t.rel, e.name), e, true
	}
	return nil
}

// lookup finds a child by local name, or else by on-grid name.
func lookup(dir lafsapi.Node, name string) (entry, error) {
	var byGrid *entry
	for _, gn := range slices.Sorted(maps.Keys(dir.Children)) {
		e, err := parseEntry(gn, dir.Children[gn])
		if err != nil {
			continue
		}
		if e.name == name {
			return e, nil
		}
		if gn == name && byGrid == nil {
			byGrid = &e
		}
	}
	if byGrid != nil {
		return *byGrid, nil
	}
	return entry{}, fmt.Errorf("no entry %s", pathesc.Escape(name))
}

// children decodes a directory's children, sorted by local name in
// descending byte order (the order phase two saw them, so the first member
// of a hardlink group comes first). Children whose name or metadata is
// refused, or whose local name repeats a sibling's, come back in bad.
func children(dir lafsapi.Node) (good []entry, bad []badChild) {
	seen := map[string]bool{}
	for _, gn := range slices.Sorted(maps.Keys(dir.Children)) {
		e, err := parseEntry(gn, dir.Children[gn])
		switch {
		case err != nil:
			bad = append(bad, badChild{name: gn, err: err}) // e.name may be unusable
		case seen[e.name]:
			bad = append(bad, badChild{name: e.name, err: fmt.Errorf("refused: a second entry named %s (on the grid: %q)", pathesc.Escape(e.name), gn)})
		default:
			seen[e.name] = true
			good = append(good, e)
		}
	}
	slices.SortFunc(good, func(a, b entry) int { return strings.Compare(b.name, a.name) })
	return good, bad
}

// badChild is a child that cannot be restored, and why.
type badChild struct {
	name string
	err  error
}
