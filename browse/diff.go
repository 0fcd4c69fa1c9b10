package browse

import (
	"context"
	"reflect"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
)

// Kind is what happened to a path between two backups.
type Kind string

// The kinds of change Diff reports.
const (
	Added   Kind = "added"
	Removed Kind = "removed"
	Changed Kind = "changed"
)

// Change is one path that differs between the old and the new backup. An
// added or removed directory is one change: what is below it is not
// listed.
type Change struct {
	Kind Kind
	// Path is the raw path from the compared directories' root (the new
	// side's, for a change present on both sides).
	Path string
	// Old and New are the entry on each side; the zero Entry on the side
	// that lacks it.
	Old, New Entry
	// Fields says what changed (Changed only), in a fixed order: type
	// (alone), size, mode, rdev, uid, gid, acl, caps, mtime, xattr NAME
	// (fsmeta.Diff), then content, target, enc, hardlink, metadata.
	Fields []Field
}

// Field is one difference, with the old and the new value as text (both
// "" for content, whose values are not shown).
type Field struct {
	Name, Old, New string
}

// DiffStats is what a Diff cost and found.
type DiffStats struct {
	Listed                  int // directory listings read (requests)
	Skipped                 int // directories not read because both sides have the same cap
	Added, Removed, Changed int
}

// Diff compares the entries old and new (two backups' roots, or the same
// path in two backups) and calls fn for each change, in path order.
//
// Immutable directories are content-addressed: two equal directory caps
// are equal subtrees (names, metadata and content of everything below),
// so Diff descends only into directories whose caps differ and its cost is
// proportional to the change, not to the tree (docs/browse.md). Files with
// different caps are reported as changed content; equal caps are equal
// content. Caps never appear in a Change.
func Diff(ctx context.Context, g Grid, old, new Entry, fn func(Change) error) (DiffStats, error) {
	d := &differ{g: g, fn: fn}
	err := d.pair(ctx, old, new)
	return d.st, err
}

type differ struct {
	g  Grid
	fn func(Change) error
	st DiffStats
}

// pair compares two entries of the same name.
func (d *differ) pair(ctx context.Context, a, b Entry) error {
	if fields := d.fields(ctx, a, b); len(fields) > 0 {
		d.st.Changed++
		if err := d.fn(Change{Kind: Changed, Path: b.Path, Old: a, New: b, Fields: fields}); err != nil {
			return err
		}
	}
	if !a.IsDir() || !b.IsDir() {
		return nil
	}
	if a.Node.Cap.Equal(b.Node.Cap) && !a.Node.Cap.IsZero() {
		d.st.Skipped++
		return nil
	}
	return d.dirs(ctx, a, b)
}

// dirs lists two directories and compares their children by raw name.
func (d *differ) dirs(ctx context.Context, a, b Entry) error {
	ka, err := d.list(ctx, a)
	if err != nil {
		return err
	}
	kb, err := d.list(ctx, b)
	if err != nil {
		return err
	}
	i, j := 0, 0
	for i < len(ka) || j < len(kb) {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case j == len(kb) || (i < len(ka) && ka[i].Name < kb[j].Name):
			err = d.one(Removed, ka[i])
			i++
		case i == len(ka) || kb[j].Name < ka[i].Name:
			err = d.one(Added, kb[j])
			j++
		default:
			err = d.pair(ctx, ka[i], kb[j])
			i, j = i+1, j+1
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *differ) list(ctx context.Context, e Entry) ([]Entry, error) {
	if !e.listed {
		d.st.Listed++
	}
	return List(ctx, d.g, e)
}

func (d *differ) one(k Kind, e Entry) error {
	c := Change{Kind: k, Path: e.Path}
	if k == Added {
		d.st.Added++
		c.New = e
	} else {
		d.st.Removed++
		c.Old = e
	}
	return d.fn(c)
}

// fields lists what differs between a and b.
func (d *differ) fields(ctx context.Context, a, b Entry) []Field {
	if a.Err != nil || b.Err != nil {
		if a.Node.Cap.Equal(b.Node.Cap) && reflect.DeepEqual(a.Node.Metadata, b.Node.Metadata) {
			return nil
		}
		return []Field{{"metadata", errText(a.Err), errText(b.Err)}}
	}
	if !a.Known || !b.Known {
		return nil // the original tool's root: nothing recorded to compare
	}
	ma, mb := a.Edge.Meta, b.Edge.Meta
	if !a.Edge.SizeKnown || !b.Edge.SizeKnown {
		mb.Size = ma.Size // unknown (original tool, compressed): not compared
	}
	var out []Field
	for _, f := range fsmeta.Diff(ma, mb, fsmeta.DiffOptions{
		IgnoreOwner: !a.Edge.Owner || !b.Edge.Owner,
		IgnoreMtime: ma.MtimeNs == 0 || mb.MtimeNs == 0,
		Xattrs:      true,
	}) {
		out = append(out, Field{f.Field, f.A, f.B})
	}
	if ma.Type != mb.Type {
		return out
	}
	return append(out, d.content(ctx, a, b)...)
}

// content compares what the caps and the content keys say.
func (d *differ) content(ctx context.Context, a, b Entry) []Field {
	var out []Field
	add := func(name, x, y string) {
		if x != y {
			out = append(out, Field{name, x, y})
		}
	}
	sameCap := a.Node.Cap.Equal(b.Node.Cap)
	switch t := a.Edge.Meta.Type; {
	case t == fsmeta.TypeFile && !sameCap:
		out = append(out, Field{Name: "content"})
	case t == fsmeta.TypeSymlink && !sameCap:
		add("target", d.target(ctx, a), d.target(ctx, b))
	}
	add("enc", orNone(a.Edge.Enc), orNone(b.Edge.Enc))
	add("hardlink", orNone(pathesc.Escape(a.Edge.Hardlink)), orNone(pathesc.Escape(b.Edge.Hardlink)))
	return out
}

// target is a symlink's target for a Field: escaped, or the error.
func (d *differ) target(ctx context.Context, e Entry) string {
	t, err := Target(ctx, d.g, e)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return pathesc.Escape(t)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func errText(err error) string {
	if err == nil {
		return "readable"
	}
	return err.Error()
}
