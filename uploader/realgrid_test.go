package uploader

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

func TestMain(m *testing.M) { testgrid.Main(m) }

// lafsGrid is a test-only adapter from the Grid port to lafsapi (the CLI
// has its own).
type lafsGrid struct{ c *lafsapi.Client }

func (g lafsGrid) PutFile(ctx context.Context, open func() (io.ReadCloser, error), size int64) (string, error) {
	c, err := g.c.UploadFile(ctx, open, size)
	return c.Secret(), err
}

func (g lafsGrid) Mkdir(ctx context.Context, children map[string]Child) (string, error) {
	m := make(map[string]lafsapi.Child, len(children))
	for name, ch := range children {
		c, err := lafsapi.ParseCap(ch.Cap)
		if err != nil {
			return "", err
		}
		m[name] = lafsapi.Child{Cap: c, Metadata: ch.Metadata}
	}
	c, err := g.c.MkdirImmutable(ctx, m)
	return c.Secret(), err
}

func (g lafsGrid) Renew(ctx context.Context, cap string) (bool, error) {
	c, err := lafsapi.ParseCap(cap)
	if err != nil {
		return false, err
	}
	res, err := g.c.Check(ctx, c, lafsapi.CheckOptions{AddLease: true})
	return res.Healthy, err
}

func (g lafsGrid) LIT(data []byte) string { return lafsapi.LITCap(data).Secret() }

// TestRealGrid backs the mixed tree up to a real gateway: the gateway
// accepts every name and metadata value, stores the metadata as sent (same
// JSON as the fake grid's), every file's content comes back (xz -d for
// enc: xz), locally computed LIT caps are the gateway's, and an unchanged
// rerun sends no request at all.
func TestRealGrid(t *testing.T) {
	root, entries := mixedTree(t)
	tg := testgrid.Shared(t)
	proxy := testgrid.NewCountingProxy(t, tg.URL())
	client, err := lafsapi.New(proxy.URL(), lafsapi.Options{})
	mustDo(t, err)
	real, cache := lafsGrid{client}, newFakeCache()
	opts := testOptions(root)
	u := newUploader(t, real, cache, opts)
	capStr, st, err := u.Run(t.Context(), &sliceEntries{es: entries})
	if err != nil {
		t.Fatal(err)
	}
	if st.Incomplete() || proxy.Count() != int(st.FilesUploaded+st.DirsCreated) {
		t.Errorf("stats %+v, requests %q", st, proxy.Requests())
	}
	fake := newFakeGrid()
	fakeCap, _, err := newUploader(t, fake, newFakeCache(), opts).Run(t.Context(), &sliceEntries{es: entries})
	mustDo(t, err)

	wrapper, err := lafsapi.ParseCap(capStr)
	mustDo(t, err)
	if !wrapper.IsDir() || !wrapper.IsImmutable() {
		t.Fatalf("root cap kind %s", wrapper.Kind())
	}
	compareTree(t, client, fake, wrapper, fakeCap)
	checkContents(t, client, root, entries, wrapper)

	proxy.Reset()
	u2 := newUploader(t, real, cache.reopen(), opts)
	cap2, _, err := u2.Run(t.Context(), &sliceEntries{es: walkTreeLike(t, root, entries)})
	mustDo(t, err)
	if cap2 != capStr || proxy.Count() != 0 {
		t.Errorf("unchanged rerun: same cap %v, requests %q", cap2 == capStr, proxy.Requests())
	}
}

// walkTreeLike walks root again, keeping the synthetic metadata of entries.
func walkTreeLike(t *testing.T, root string, entries []Entry) []Entry {
	again := walkTree(t, root)
	for i := range again {
		again[i].Meta.Caps, again[i].Meta.ACL, again[i].Meta.Xattrs = entries[i].Meta.Caps, entries[i].Meta.ACL, entries[i].Meta.Xattrs
	}
	return again
}

// compareTree walks the real tree and the fake one side by side: same
// names, same metadata JSON, same LIT caps.
func compareTree(t *testing.T, c *lafsapi.Client, fake *fakeGrid, real lafsapi.Cap, fakeCap string) {
	t.Helper()
	node, err := c.Info(t.Context(), real)
	mustDo(t, err)
	want, _ := fake.dir(fakeCap)
	if len(node.Children) != len(want) {
		t.Errorf("real directory has %d children, fake %d", len(node.Children), len(want))
	}
	for name, wc := range want {
		rc, ok := node.Children[name]
		if !ok {
			t.Errorf("gateway lost child %q", name)
			continue
		}
		gotMD, _ := json.Marshal(rc.Metadata)
		wantMD, _ := json.Marshal(wc.Metadata)
		if !bytes.Equal(gotMD, wantMD) {
			t.Errorf("%q: gateway metadata %s, sent %s", name, gotMD, wantMD)
		}
		switch {
		case wc.Dir:
			compareTree(t, c, fake, rc.ReadCap, wc.Cap)
		case isLIT(wc.Cap) && rc.ReadCap.Secret() != wc.Cap:
			t.Errorf("%q: LIT cap differs from the gateway's", name)
		}
	}
}

func checkContents(t *testing.T, c *lafsapi.Client, root string, entries []Entry, wrapper lafsapi.Cap) {
	t.Helper()
	for _, e := range entries {
		if e.Meta.Type != fsmeta.TypeFile || e.Path == "names" || filepath.Dir(e.Path) == "names" {
			continue
		}
		n, err := c.Info(t.Context(), wrapper, append([]string{"backup.1"}, splitAll(e.Path)...)...)
		mustDo(t, err)
		rc, err := c.Download(t.Context(), n.ReadCap)
		mustDo(t, err)
		got, err := io.ReadAll(rc)
		rc.Close()
		mustDo(t, err)
		if n.Metadata["enc"] == "xz" {
			got = unxz(t, got)
		}
		want, err := os.ReadFile(filepath.Join(root, e.Path))
		mustDo(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: content from the grid differs", e.Path)
		}
	}
}
