package browse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/treeformat"
)

// Grid is what browsing needs from the gateway; *lafsapi.Client
// implements it.
type Grid interface {
	// Info reads a node (GET ?t=json).
	Info(ctx context.Context, c lafsapi.Cap, path ...string) (lafsapi.Node, error)
	// Download streams a file's content (a symlink's target).
	Download(ctx context.Context, c lafsapi.Cap) (io.ReadCloser, error)
}

var _ Grid = (*lafsapi.Client)(nil)

// Format says which tool wrote a backup (docs/metadata.md).
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

// ErrNotABackup: the cap is not a directory, or not one this program can
// read.
var ErrNotABackup = errors.New("not a backup")

// ErrNoPath: a path given to Lookup names nothing in the backup
// (errors.Is matches a *PathError).
var ErrNoPath = errors.New("no such path in the backup")

// PathError is a path that names nothing, and why.
type PathError struct {
	Path   string // as given
	Reason string
}

func (e *PathError) Error() string { return pathesc.Escape(e.Path) + ": " + e.Reason }

// Is makes errors.Is(err, ErrNoPath) true.
func (e *PathError) Is(target error) bool { return target == ErrNoPath }

// Tree is an opened backup.
type Tree struct {
	Format Format
	// Name is the backup name (the wrapper's one child) in format 1, ""
	// otherwise.
	Name string
	// Root is the backed-up root directory (Path ""), already listed. Its
	// edge is the source root's own metadata in format 1; in the original
	// format nothing is known of it (Root.Known is false).
	Root Entry
}

// Open reads the root cap and detects the format: a wrapper with one
// directory child whose edge has the format key is format 1 (a newer
// version is refused), anything else a tree of the original tool. It
// costs two requests in format 1 (wrapper and tree), one otherwise.
func Open(ctx context.Context, g Grid, root lafsapi.Cap) (*Tree, error) {
	if !root.IsDir() {
		return nil, fmt.Errorf("%w: the cap is not a directory cap", ErrNotABackup)
	}
	n, err := g.Info(ctx, root)
	if err != nil {
		return nil, fmt.Errorf("read the backup's root: %w", err)
	}
	if n.Cap.IsZero() {
		n.Cap = root
	}
	name, child, ok := wrapped(n)
	if !ok {
		return &Tree{Format: FormatOriginal, Root: rootEntry(n)}, nil
	}
	if v := child.Metadata[treeformat.FormatKey]; v != treeformat.FormatVersion {
		return nil, fmt.Errorf("%w: format version %v is newer than this program reads (%s); use a newer lafs-backup",
			ErrNotABackup, v, treeformat.FormatVersion)
	}
	listing, err := g.Info(ctx, child.Cap)
	if err != nil {
		return nil, fmt.Errorf("read the backup's tree: %w", err)
	}
	child.Children = listing.Children
	e := Decode("", name, child)
	if e.Err != nil {
		return nil, fmt.Errorf("the backup's root metadata: %w", e.Err)
	}
	e.Path, e.listed = "", true // the root's path is ""; its name is the backup's
	return &Tree{Format: FormatV1, Name: e.Name, Root: e}, nil
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

// Lookup follows sub ("" or "/" is the root; components separated by "/")
// from the root. Each component is matched against the restored (raw)
// names first, then against the on-grid names, as restore --path does;
// directories on the way are listed.
func (t *Tree) Lookup(ctx context.Context, g Grid, sub string) (Entry, error) {
	e := t.Root
	for _, comp := range strings.Split(strings.Trim(sub, "/"), "/") {
		if comp == "" || comp == "." {
			continue
		}
		if !e.IsDir() {
			return Entry{}, &PathError{sub, displayPath(e.Path) + " is not a directory"}
		}
		next, ok := child(e, comp)
		if !ok {
			return Entry{}, &PathError{sub, "no entry " + pathesc.Escape(comp) + " in " + displayPath(e.Path)}
		}
		if next.IsDir() {
			var err error
			if next, err = listed(ctx, g, next); err != nil {
				return Entry{}, err
			}
		}
		e = next
	}
	return e, nil
}

// child finds a child of the listed directory dir by raw name, or else by
// on-grid name.
func child(dir Entry, name string) (Entry, bool) {
	var byGrid *Entry
	for _, c := range Children(dir) {
		if c.Name == name {
			return c, true
		}
		if c.GridName == name && byGrid == nil {
			byGrid = &c
		}
	}
	if byGrid != nil {
		return *byGrid, true
	}
	return Entry{}, false
}

// displayPath renders a raw relative path for messages ("." for the root).
func displayPath(p string) string {
	if p == "" {
		return "."
	}
	return pathesc.Escape(p)
}
