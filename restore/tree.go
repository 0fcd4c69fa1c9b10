package restore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/browse"
	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// Grid is what restore and verify need from the gateway: what browsing
// needs (Info, Download); *lafsapi.Client implements it.
type Grid = browse.Grid

// Format says which tool wrote a backup (package browse detects it).
type Format = browse.Format

// The formats restore reads (docs/restore.md, Formats).
const (
	FormatOriginal = browse.FormatOriginal
	FormatV1       = browse.FormatV1
)

// ErrNotABackup: the cap is not a directory, or not one restore can read.
var ErrNotABackup = browse.ErrNotABackup

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

// openTop reads the root cap, detects the format (browse.Open), and
// follows subPath ("" or "/" = the whole tree; components separated by
// "/", matched against local names, then on-grid names).
func openTop(ctx context.Context, g Grid, root lafsapi.Cap, subPath string) (top, error) {
	tr, err := browse.Open(ctx, g, root)
	if err != nil {
		return top{}, fmt.Errorf("restore: %w", err)
	}
	r := tr.Root
	t := top{format: tr.Format, e: entry{node: r.Node, size: -1, listed: true}}
	if tr.Format == FormatV1 {
		e, err := parseEntry(r.GridName, r.Node)
		if err != nil {
			return top{}, fmt.Errorf("restore: the backup's root metadata: %w", err)
		}
		e.listed = true
		t.name, t.e, t.hasMeta = e.name, e, true
	} else {
		t.e.meta.Type, t.e.meta.Mode = fsmeta.TypeDir, unix.S_IFDIR|0o755 // metadata unknown
	}
	return t, t.descend(ctx, g, subPath)
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
