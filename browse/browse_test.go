package browse_test

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"testing"

	"github.com/lafs-backup/lafs-backup/browse"
	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

func TestMain(m *testing.M) { testgrid.Main(m) }

// grid is a client of the shared real grid and helpers that build trees
// on it by hand, in the shapes either tool writes.
type grid struct {
	t *testing.T
	c *lafsapi.Client
}

func newGrid(t *testing.T) grid {
	g := testgrid.Shared(t)
	c, err := lafsapi.New(g.URL(), lafsapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return grid{t, c}
}

func (g grid) file(data string) lafsapi.Cap {
	c, err := g.c.UploadBytes(context.Background(), []byte(data))
	if err != nil {
		g.t.Fatal(err)
	}
	return c
}

func (g grid) dir(kids map[string]lafsapi.Child) lafsapi.Cap {
	c, err := g.c.MkdirImmutable(context.Background(), kids)
	if err != nil {
		g.t.Fatal(err)
	}
	return c
}

func md(kv ...string) map[string]any {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// TestOpenOriginalToolTree: a tree of the original tool (no wrapper, no
// times, symlinks without mode) opens as such; its root has no metadata,
// its children decode; Walk goes in ls -R order.
func TestOpenOriginalToolTree(t *testing.T) {
	g := newGrid(t)
	ctx := t.Context()
	etc := g.dir(map[string]lafsapi.Child{
		"shadow": {Cap: g.file("root:*:1::::::\n"), Metadata: md("uid", "0", "gid", "2", "mode", "100640")},
		"sh":     {Cap: lafsapi.LITCap([]byte("/bin/bash")), Metadata: md("uid", "0", "gid", "0")},
	})
	root := g.dir(map[string]lafsapi.Child{
		"etc":   {Cap: etc, Metadata: md("uid", "0", "gid", "0", "mode", "40755")},
		"empty": {Cap: g.dir(nil), Metadata: md("uid", "0", "gid", "0", "mode", "40700")},
	})
	tr, err := browse.Open(ctx, g.c, root)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Format != browse.FormatOriginal || tr.Name != "" || tr.Root.Known {
		t.Fatalf("format %v, name %q, root known %v", tr.Format, tr.Name, tr.Root.Known)
	}
	var order []string
	err = browse.Walk(ctx, g.c, tr.Root, func(dir browse.Entry, kids []browse.Entry) error {
		for _, k := range kids {
			order = append(order, k.Path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"empty", "etc", "etc/sh", "etc/shadow"}; !slices.Equal(order, want) {
		t.Errorf("walk order %q, want %q", order, want)
	}
	sh, err := tr.Lookup(ctx, g.c, "etc/sh")
	if err != nil {
		t.Fatal(err)
	}
	if sh.Edge.Meta.Type != fsmeta.TypeSymlink {
		t.Errorf("a filenode without mode is a symlink, got %v", sh.Edge.Meta.Type)
	}
	if target, err := browse.Target(ctx, g.c, sh); err != nil || target != "/bin/bash" {
		t.Errorf("target %q, %v", target, err)
	}
	shadow, err := tr.Lookup(ctx, g.c, "/etc/shadow")
	if err != nil || shadow.Edge.Meta.GID != 2 || shadow.Edge.Meta.Mode != 0o100640 || !shadow.Edge.SizeKnown || shadow.Edge.Meta.Size != 15 {
		t.Errorf("etc/shadow: %+v %v", shadow.Edge, err)
	}
}

// TestOpenFormatOne: the wrapper's child is the root, with its metadata;
// a newer format version is refused; Lookup matches raw names, then
// on-grid names; a path that names nothing is ErrNoPath.
func TestOpenFormatOne(t *testing.T) {
	g := newGrid(t)
	ctx := t.Context()
	raw := "caf\xe9.txt"
	tree := g.dir(map[string]lafsapi.Child{
		`caf\xe9.txt`: {Cap: lafsapi.LITCap([]byte("x")), Metadata: md("uid", "0", "gid", "0", "mode", "100644", "size", "1",
			"rawname", base64.StdEncoding.EncodeToString([]byte(raw)))},
		"new": {Cap: lafsapi.LITCap([]byte("y")), Metadata: md("uid", "0", "gid", "0", "mode", "100644", "size", "1")},
	})
	wrap := func(version string) lafsapi.Cap {
		return g.dir(map[string]lafsapi.Child{"snap.1": {Cap: tree,
			Metadata: md("uid", "0", "gid", "0", "mode", "40700", "lafs-backup-format", version)}})
	}
	tr, err := browse.Open(ctx, g.c, wrap("1"))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Format != browse.FormatV1 || tr.Name != "snap.1" || !tr.Root.Known || tr.Root.Edge.Meta.Mode != 0o40700 || tr.Root.Path != "" {
		t.Fatalf("format %v, name %q, root %+v", tr.Format, tr.Name, tr.Root)
	}
	kids := browse.Children(tr.Root)
	if len(kids) != 2 || kids[0].Name != raw || kids[0].GridName != `caf\xe9.txt` || kids[0].Path != raw {
		t.Errorf("children %+v", kids)
	}
	for _, p := range []string{raw, `caf\xe9.txt`} {
		if e, err := tr.Lookup(ctx, g.c, p); err != nil || e.Name != raw {
			t.Errorf("Lookup(%q): %q %v", p, e.Name, err)
		}
	}
	if _, err := tr.Lookup(ctx, g.c, "new/x"); !errors.Is(err, browse.ErrNoPath) {
		t.Errorf("a path through a file: %v", err)
	}
	if _, err := tr.Lookup(ctx, g.c, "gone"); !errors.Is(err, browse.ErrNoPath) {
		t.Errorf("a missing path: %v", err)
	}
	if _, err := browse.Open(ctx, g.c, wrap("2")); !errors.Is(err, browse.ErrNotABackup) {
		t.Errorf("format 2: %v", err)
	}
	if _, err := browse.Open(ctx, g.c, g.file("not a directory, long enough not to be a LIT cap at all, surely")); !errors.Is(err, browse.ErrNotABackup) {
		t.Errorf("a file cap: %v", err)
	}
}
