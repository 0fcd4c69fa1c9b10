package restore

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/treeformat"
)

// fakeGrid serves directory listings and file contents from maps, for
// shapes the real gateway cannot make (cycles of mutable directories).
type fakeGrid struct {
	dirs  map[string]lafsapi.Node // by cap secret
	files map[string]string
}

func (g *fakeGrid) Info(_ context.Context, c lafsapi.Cap, _ ...string) (lafsapi.Node, error) {
	n, ok := g.dirs[c.Secret()]
	if !ok {
		return lafsapi.Node{}, &lafsapi.Error{Op: "info", Status: 404}
	}
	return n, nil
}

func (g *fakeGrid) Download(_ context.Context, c lafsapi.Cap) (io.ReadCloser, error) {
	if data, ok := c.LITData(); ok {
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	return io.NopCloser(bytes.NewReader([]byte(g.files[c.Secret()]))), nil
}

func mustCap(t *testing.T, s string) lafsapi.Cap {
	t.Helper()
	c, err := lafsapi.ParseCap(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const (
	fakeDir1 = "URI:DIR2:aaaaaaaaaaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	fakeDir2 = "URI:DIR2:cccccccccccccccccccccccccc:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestRestoreRefusesCycles(t *testing.T) {
	d1, d2 := mustCap(t, fakeDir1), mustCap(t, fakeDir2)
	file := lafsapi.LITCap([]byte("data"))
	g := &fakeGrid{dirs: map[string]lafsapi.Node{
		fakeDir1: {Type: "dirnode", Children: map[string]lafsapi.Node{
			"sub": {Type: "dirnode", Cap: d2, Metadata: map[string]any{"mode": "40755"}},
			"f":   {Type: "filenode", Cap: file, Size: 4, Metadata: map[string]any{"mode": "100644"}},
		}},
		fakeDir2: {Type: "dirnode", Children: map[string]lafsapi.Node{
			"up": {Type: "dirnode", Cap: d1, Metadata: map[string]any{"mode": "40755"}},
			"me": {Type: "dirnode", Cap: d2, Metadata: map[string]any{"mode": "40755"}},
		}},
	}}
	target := filepath.Join(t.TempDir(), "out")
	st, err := Run(t.Context(), g, d1, Options{Target: target, NoOwner: true})
	if err != nil {
		t.Fatal(err)
	}
	// sub/up is the top again, sub/me is sub again: both refused.
	var got []string
	for _, f := range st.Failed {
		got = append(got, f.Error())
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "sub/up:") || !strings.HasPrefix(got[1], "sub/me:") || !strings.Contains(got[0], "contains itself") || !strings.Contains(got[1], "contains itself") {
		t.Errorf("failures %q", got)
	}
	if b, err := os.ReadFile(filepath.Join(target, "f")); err != nil || string(b) != "data" {
		t.Errorf("f: %q %v", b, err)
	}
}

func TestOpenTopFormats(t *testing.T) {
	d1, d2 := mustCap(t, fakeDir1), mustCap(t, fakeDir2)
	wrapperOf := func(version string) *fakeGrid {
		return &fakeGrid{dirs: map[string]lafsapi.Node{
			fakeDir1: {Type: "dirnode", Children: map[string]lafsapi.Node{
				"snap": {Type: "dirnode", Cap: d2, Metadata: map[string]any{"mode": "40700", treeformat.FormatKey: version}},
			}},
			fakeDir2: {Type: "dirnode", Children: map[string]lafsapi.Node{}},
		}}
	}
	top, err := openTop(t.Context(), wrapperOf("1"), d1, "")
	if err != nil || top.format != FormatV1 || top.name != "snap" || !top.hasMeta || top.e.meta.Mode != 0o40700 {
		t.Errorf("format 1: %+v %v", top, err)
	}
	if _, err := openTop(t.Context(), wrapperOf("2"), d1, ""); err == nil || !strings.Contains(err.Error(), "newer than this program reads") {
		t.Errorf("format 2: %v", err)
	}
	// One child directory without the key: an original tree.
	g := wrapperOf("1")
	delete(g.dirs[fakeDir1].Children["snap"].Metadata, treeformat.FormatKey)
	if top, err := openTop(t.Context(), g, d1, ""); err != nil || top.format != FormatOriginal || top.hasMeta {
		t.Errorf("original: %+v %v", top, err)
	}
	if _, err := openTop(t.Context(), g, lafsapi.LITCap([]byte("x")), ""); err == nil {
		t.Error("a file cap was accepted as a backup")
	}
}

// flakyGrid breaks the first `breaks` downloads after a few bytes.
type flakyGrid struct {
	*fakeGrid
	breaks int
}

type brokenReader struct{ r io.Reader }

func (b *brokenReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p[:min(len(p), 3)])
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (g *flakyGrid) Download(ctx context.Context, c lafsapi.Cap) (io.ReadCloser, error) {
	rc, err := g.fakeGrid.Download(ctx, c)
	if err != nil || g.breaks == 0 {
		return rc, err
	}
	g.breaks--
	return io.NopCloser(&brokenReader{rc}), nil
}

func TestRestoreRetriesBrokenDownloads(t *testing.T) {
	d1 := mustCap(t, fakeDir1)
	data := strings.Repeat("0123456789", 10)
	g := &fakeGrid{dirs: map[string]lafsapi.Node{
		fakeDir1: {Type: "dirnode", Children: map[string]lafsapi.Node{
			"f": {Type: "filenode", Cap: lafsapi.LITCap([]byte(data[:50])), Size: 50, Metadata: map[string]any{"mode": "100644"}},
		}},
	}}
	for _, tc := range []struct {
		breaks int
		ok     bool
	}{{1, true}, {fetchAttempts - 1, true}, {fetchAttempts, false}} {
		target := filepath.Join(t.TempDir(), "out")
		st, err := Run(t.Context(), &flakyGrid{g, tc.breaks}, d1, Options{Target: target, Jobs: 1})
		if err != nil {
			t.Fatal(err)
		}
		b, rerr := os.ReadFile(filepath.Join(target, "f"))
		switch {
		case tc.ok && (len(st.Failed) > 0 || string(b) != data[:50]):
			t.Errorf("%d broken downloads: %v, content %q", tc.breaks, st.Failed, b)
		case !tc.ok && (len(st.Failed) != 1 || !os.IsNotExist(rerr)):
			t.Errorf("%d broken downloads: want the failure reported and no file: %v, %v", tc.breaks, st.Failed, rerr)
		}
	}
}
