package lafsapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

func TestMain(m *testing.M) { testgrid.Main(m) }

// gridClient is a client of the shared grid.
func gridClient(t *testing.T) *lafsapi.Client {
	t.Helper()
	g := testgrid.Shared(t)
	c, err := lafsapi.New(g.URL(), lafsapi.Options{BaseDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func download(t *testing.T, c *lafsapi.Client, fc lafsapi.Cap) []byte {
	t.Helper()
	rc, err := c.Download(context.Background(), fc)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestUploadDownloadRoundTrip(t *testing.T) {
	c := gridClient(t)
	ctx := context.Background()
	for _, size := range []int{0, 50, 1<<20 + 1, 20_000_000} {
		data := make([]byte, size)
		rand.Read(data)
		path := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		open := func() (io.ReadCloser, error) { return os.Open(path) }
		fc, err := c.UploadFile(ctx, open, int64(size))
		if err != nil {
			t.Fatalf("upload %d bytes: %v", size, err)
		}
		wantLIT := size <= lafsapi.MaxLITSize
		if fc.IsLIT() != wantLIT {
			t.Fatalf("%d bytes gave a %s cap", size, fc.Kind())
		}
		if !bytes.Equal(download(t, c, fc), data) {
			t.Fatalf("%d bytes: download differs", size)
		}
		// The same content sent chunked (size unknown) gives the same cap.
		if size == 1<<20+1 {
			fc2, err := c.UploadFile(ctx, open, -1)
			if err != nil || !fc2.Equal(fc) {
				t.Fatalf("chunked upload: err=%v same=%v", err, fc2.Equal(fc))
			}
		}
	}
}

func TestLITMatchesGateway(t *testing.T) {
	c := gridClient(t)
	for _, size := range []int{0, 1, 6, 54, 55, 56} {
		data := bytes.Repeat([]byte{0xA5}, size)
		data = append(data[:0:0], data...)
		for i := range data {
			data[i] = byte(i*7 + 3)
		}
		got, err := c.UploadBytes(context.Background(), data)
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if size > lafsapi.MaxLITSize {
			if got.Kind() != "CHK" {
				t.Fatalf("%d bytes: gateway gave %s, want CHK", size, got.Kind())
			}
			continue
		}
		if want := lafsapi.LITCap(data); got.Secret() != want.Secret() {
			t.Fatalf("%d bytes: local LIT cap differs from the gateway's", size)
		}
	}
}

func TestMkdirImmutableMetadataRoundTrip(t *testing.T) {
	c := gridClient(t)
	ctx := context.Background()
	big, err := c.UploadBytes(ctx, bytes.Repeat([]byte("big file "), 100))
	if err != nil {
		t.Fatal(err)
	}
	empty, err := c.MkdirImmutable(ctx, map[string]lafsapi.Child{})
	if err != nil {
		t.Fatal(err)
	}
	if empty.Kind() != "DIR2-LIT" {
		t.Fatalf("empty directory is %s, want DIR2-LIT", empty.Kind())
	}
	if n, err := c.Info(ctx, empty); err != nil || !n.IsDir() || n.Children == nil || len(n.Children) != 0 {
		t.Fatalf("empty directory info: %v %+v", err, n)
	}
	children := map[string]lafsapi.Child{
		"big.txt": {Cap: big, Metadata: map[string]any{"uid": "1000", "mode": "0100644",
			"mtime": 1700000000.123456789, "mtime_ns": "1700000000123456789"}},
		"tiny":      {Cap: lafsapi.LITCap([]byte("hi")), Metadata: map[string]any{"enc": "xz"}},
		"Ünïcødé €": {Cap: empty, Metadata: map[string]any{"xattrs": map[string]any{"user.a": "YQ=="}}},
	}
	dir, err := c.MkdirImmutable(ctx, children)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.MkdirImmutable(ctx, children)
	if err != nil || !again.Equal(dir) {
		t.Fatalf("same children gave another cap (err %v)", err)
	}
	n, err := c.Info(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !n.IsDir() || n.Mutable || len(n.Children) != 3 {
		t.Fatalf("info: dir=%v mutable=%v children=%d", n.IsDir(), n.Mutable, len(n.Children))
	}
	for name, want := range children {
		got, ok := n.Children[name]
		if !ok {
			t.Fatalf("child %q missing", name)
		}
		if !got.Cap.Equal(want.Cap) {
			t.Errorf("child %q: cap differs", name)
		}
		gj, _ := json.Marshal(got.Metadata)
		wj, _ := json.Marshal(want.Metadata)
		if string(gj) != string(wj) {
			t.Errorf("child %q metadata: got %s want %s", name, gj, wj)
		}
	}
	if n.Children["big.txt"].Size != 900 || n.Children["big.txt"].IsDir() || !n.Children["Ünïcødé €"].IsDir() {
		t.Errorf("child kinds or sizes wrong: %+v", n.Children["big.txt"])
	}
	// Reached by path, a node carries its edge metadata.
	sub, err := c.Info(ctx, dir, "big.txt")
	if err != nil || sub.Metadata["mtime_ns"] != "1700000000123456789" {
		t.Fatalf("info by path: %v %v", err, sub.Metadata)
	}
	if _, err := c.Info(ctx, dir, "missing"); !lafsapi.IsNotFound(err) {
		t.Fatalf("missing child: %v, want not found", err)
	}
}

func TestMkdirImmutableRefusesBadNames(t *testing.T) {
	c := gridClient(t)
	lit := lafsapi.LITCap([]byte("x"))
	for _, name := range []string{"bad\xffname", "e\u0301", "", "a/b", ".."} {
		_, err := c.MkdirImmutable(context.Background(), map[string]lafsapi.Child{name: {Cap: lit}})
		if !errors.Is(err, lafsapi.ErrBadName) {
			t.Errorf("name %q: %v, want ErrBadName", name, err)
		}
	}
	mut, err := c.MkdirMutable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.MkdirImmutable(context.Background(), map[string]lafsapi.Child{"m": {Cap: mut}})
	if !errors.Is(err, lafsapi.ErrBadCap) || strings.Contains(err.Error(), mut.Secret()) {
		t.Fatalf("mutable child: %v", err)
	}
}

func TestLinkUnlink(t *testing.T) {
	c := gridClient(t)
	ctx := context.Background()
	dir, err := c.MkdirMutable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.UploadBytes(ctx, bytes.Repeat([]byte("a"), 100))
	b, _ := c.UploadBytes(ctx, bytes.Repeat([]byte("b"), 100))
	name := "backup 2026-11-29 ü/%?#"
	if err := c.Link(ctx, dir, strings.ReplaceAll(name, "/", "_"), a); err != nil {
		t.Fatal(err)
	}
	name = strings.ReplaceAll(name, "/", "_")
	n, err := c.Info(ctx, dir)
	if err != nil || !n.Children[name].Cap.Equal(a) {
		t.Fatalf("after link: %v, children %v", err, len(n.Children))
	}
	if err := c.Unlink(ctx, dir, name, b); !lafsapi.IsConflict(err) {
		t.Fatalf("unlink with the wrong expectation: %v, want conflict", err)
	}
	if err := c.Link(ctx, dir, name, b); err != nil { // replace
		t.Fatal(err)
	}
	if err := c.Unlink(ctx, dir, name, b); err != nil {
		t.Fatal(err)
	}
	if err := c.Unlink(ctx, dir, name, b); !lafsapi.IsNotFound(err) {
		t.Fatalf("unlink of a missing name: %v, want not found", err)
	}
}

func TestCheckAndDeepCheck(t *testing.T) {
	c := gridClient(t)
	ctx := context.Background()
	f, _ := c.UploadBytes(ctx, bytes.Repeat([]byte("c"), 1000))
	sub, err := c.MkdirImmutable(ctx, map[string]lafsapi.Child{"f": {Cap: f}})
	if err != nil {
		t.Fatal(err)
	}
	root, err := c.MkdirImmutable(ctx, map[string]lafsapi.Child{
		"sub": {Cap: sub}, "lit": {Cap: lafsapi.LITCap([]byte("x"))}, "f2": {Cap: f},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Check(ctx, f, lafsapi.CheckOptions{AddLease: true})
	if err != nil || !res.Healthy || !res.Recoverable || res.SharesGood != 4 || res.SharesNeeded != 2 {
		t.Fatalf("check: %v %+v", err, res)
	}
	var paths []string
	stats := 0
	err = c.StreamDeepCheck(ctx, root, lafsapi.CheckOptions{AddLease: true}, func(u lafsapi.DeepCheckUnit) error {
		if u.Type == "stats" {
			stats++
			return nil
		}
		if !u.Check.Healthy {
			t.Errorf("%v unhealthy: %+v", u.Path, u.Check)
		}
		paths = append(paths, strings.Join(u.Path, "/"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// f is reached twice but checked once (deduplicated by verify cap).
	if stats != 1 || len(paths) != 4 || paths[0] != "" {
		t.Fatalf("deep-check saw %q and %d stats lines", paths, stats)
	}
	var manifest []string
	err = c.StreamManifest(ctx, root, func(u lafsapi.ManifestUnit) error {
		if u.Type != "stats" {
			manifest = append(manifest, u.Type+":"+strings.Join(u.Path, "/"))
		}
		return nil
	})
	if err != nil || len(manifest) != 4 {
		t.Fatalf("manifest: %v %q", err, manifest)
	}
	stop := errors.New("enough")
	err = c.StreamManifest(ctx, root, func(lafsapi.ManifestUnit) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("callback error not returned: %v", err)
	}
}

func TestNodeStatus(t *testing.T) {
	c := gridClient(t)
	st, err := c.NodeStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := st.ConnectedServers()
	if len(ids) != 4 || !strings.HasPrefix(ids[0], "v0-") {
		t.Fatalf("connected servers: %q", ids)
	}
}
