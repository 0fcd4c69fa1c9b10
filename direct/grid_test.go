package direct_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/direct"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/tahoenode"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

func TestMain(m *testing.M) { testgrid.Main(m) }

// fixture is a direct client and a gateway client of one grid.
type fixture struct {
	g  *testgrid.Grid
	d  *direct.Client
	gw *lafsapi.Client
}

func realGrid(t *testing.T, g *testgrid.Grid, opts direct.Options) fixture {
	t.Helper()
	return onNode(t, g, g.GatewayDir(), opts)
}

// onNode is a fixture whose direct client reads node directory dir.
func onNode(t *testing.T, g *testgrid.Grid, dir string, opts direct.Options) fixture {
	t.Helper()
	n, err := tahoenode.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Delays == nil {
		opts.Delays = []time.Duration{10 * time.Millisecond}
	}
	d, err := direct.New(n, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	gw, err := lafsapi.New(g.URL(), lafsapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{g, d, gw}
}

func shared(t *testing.T) fixture {
	t.Helper()
	skipShort(t)
	return realGrid(t, testgrid.Shared(t), direct.Options{})
}

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("real grid: skipped with -short")
	}
}

func randomBytes(n int64) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// opener counts how often the content is opened.
type opener struct {
	data  []byte
	opens atomic.Int32
}

func (o *opener) open() (io.ReadCloser, error) {
	o.opens.Add(1)
	return io.NopCloser(bytes.NewReader(o.data)), nil
}

// readBack fails the test unless the gateway reads cap back as want and a
// verifying check finds it healthy.
func (f fixture) readBack(t *testing.T, capStr string, want []byte) {
	t.Helper()
	f.readBackWith(t, capStr, want, 0)
}

// readBackWith is readBack where a verifying check must find shares good
// shares (0: all of them, healthy).
func (f fixture) readBackWith(t *testing.T, capStr string, want []byte, shares int) {
	t.Helper()
	ctx := context.Background()
	c, err := lafsapi.ParseCap(capStr)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.gw.Download(ctx, c)
	if err != nil {
		t.Fatalf("download through the gateway: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the gateway reads back %d bytes (%v), want the %d uploaded", len(got), err, len(want))
	}
	if c.IsLIT() {
		return
	}
	res, err := f.gw.Check(ctx, c, lafsapi.CheckOptions{Verify: true})
	if err != nil || (shares == 0 && !res.Healthy) || (shares > 0 && res.SharesGood != shares) {
		t.Fatalf("verifying check: %v, %+v", err, res)
	}
}

// gridSizes are the "caps identical" sizes.
var gridSizes = []int64{56, 1 << 10, 128<<10 - 1, 128 << 10, 128<<10 + 1, 1<<20 + 7, 10 << 20}

// TestPutFileGivesTheGatewaysCaps uploads each size straight to the
// storage servers, then the same bytes through the gateway: same cap, the
// gateway reads ours back, and a verifying check passes. Files of more
// than one segment are read twice (key, then encoding), smaller ones once.
func TestPutFileGivesTheGatewaysCaps(t *testing.T) {
	skipShort(t)
	t.Run("2-of-4", func(t *testing.T) { putSizes(t, realGrid(t, testgrid.Shared(t), direct.Options{})) })
	t.Run("3-of-7", func(t *testing.T) {
		g := testgrid.New(t, testgrid.Options{Needed: 3, Happy: 4, Total: 7})
		putSizes(t, realGrid(t, g, direct.Options{}))
	})
}

func putSizes(t *testing.T, f fixture) {
	ctx := context.Background()
	for _, size := range gridSizes {
		o := &opener{data: randomBytes(size)}
		got, err := f.d.PutFile(ctx, o.open, size)
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if want := int32(1 + min(1, size/(1<<20))); o.opens.Load() != want {
			t.Errorf("%d bytes: opened %d times, want %d", size, o.opens.Load(), want)
		}
		f.readBack(t, got, o.data)
		gw, err := f.gw.UploadBytes(ctx, o.data)
		if err != nil {
			t.Fatal(err)
		}
		if gw.Secret() != got {
			t.Errorf("%d bytes: our cap differs from the gateway's", size)
		}
	}
}

// TestPutFileOfUnknownSize spools: same caps as with the size given, and
// nothing is left in the spool directory.
func TestPutFileOfUnknownSize(t *testing.T) {
	skipShort(t)
	spool := t.TempDir()
	f := realGrid(t, testgrid.Shared(t), direct.Options{SpoolDir: spool})
	ctx := context.Background()
	for _, size := range []int64{0, 55, 56, 300 << 10, 2<<20 + 3} {
		o := &opener{data: randomBytes(size)}
		got, err := f.d.PutFile(ctx, o.open, -1)
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if o.opens.Load() != 1 {
			t.Errorf("%d bytes of unknown size: opened %d times, want once", size, o.opens.Load())
		}
		want, err := f.d.PutFile(ctx, o.open, size)
		if err != nil || want != got {
			t.Errorf("%d bytes: cap with size -1 differs from the one with the size (%v)", size, err)
		}
		if size > 0 {
			f.readBack(t, got, o.data)
		}
	}
	if left, _ := os.ReadDir(spool); len(left) > 0 {
		t.Errorf("spool directory holds %d files after the uploads", len(left))
	}
}

// TestSmallContentOfUnknownSizeIsNotSpooled: content of at most one
// segment is encoded from memory, so a spool directory that cannot be
// used does not matter to it; longer content still needs one.
func TestSmallContentOfUnknownSizeIsNotSpooled(t *testing.T) {
	skipShort(t)
	f := realGrid(t, testgrid.Shared(t), direct.Options{SpoolDir: filepath.Join(t.TempDir(), "missing")})
	ctx := context.Background()
	for _, size := range []int64{4000, 1 << 20} { // one segment is 1 MiB (docs/direct.md)
		o := &opener{data: randomBytes(size)}
		got, err := f.d.PutFile(ctx, o.open, -1)
		if err != nil {
			t.Fatalf("%d bytes of unknown size: %v", size, err)
		}
		f.readBack(t, got, o.data)
	}
	o := &opener{data: randomBytes(1<<20 + 1)}
	if _, err := f.d.PutFile(ctx, o.open, -1); err == nil || !strings.Contains(err.Error(), "spool file") {
		t.Errorf("1 MiB + 1 of unknown size with no spool directory: err %v, want the spool file's", err)
	}
}

func randomName() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	return "f" + n.String()
}

// TestMkdirGivesTheGatewaysCaps packs directories with the uploader's
// kind of metadata, awkward names, and sizes on both sides of the LIT
// limit: the caps equal mkdir-immutable's and the gateway lists them.
func TestMkdirGivesTheGatewaysCaps(t *testing.T) {
	f := shared(t)
	ctx := context.Background()
	file, err := f.d.PutFile(ctx, (&opener{data: randomBytes(5000)}).open, 5000)
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]any{"mtime": 1700000000.25, "mode": "0644", "uid": 1000, "xattrs": map[string]any{"user.a": "YQ=="}}
	sub, err := f.d.Mkdir(ctx, map[string]direct.Child{randomName(): {Cap: file, Metadata: meta}})
	if err != nil {
		t.Fatal(err)
	}
	for _, children := range []map[string]direct.Child{
		{},
		{"x": {Cap: "URI:LIT:nbswy3dp"}},
		{"caf\u00e9 \u65e5\u672c \"q\" \\": {Cap: file, Metadata: meta}, "sub": {Dir: true, Cap: sub, Metadata: map[string]any{}}},
	} {
		got, err := f.d.Mkdir(ctx, children)
		if err != nil {
			t.Fatal(err)
		}
		gwChildren := map[string]lafsapi.Child{}
		for name, ch := range children {
			c, _ := lafsapi.ParseCap(ch.Cap)
			gwChildren[name] = lafsapi.Child{Cap: c, Metadata: ch.Metadata}
		}
		want, err := f.gw.MkdirImmutable(ctx, gwChildren)
		if err != nil {
			t.Fatal(err)
		}
		if want.Secret() != got {
			t.Errorf("%d children: our cap %s..., the gateway's %s...", len(children), got[:14], want.Secret()[:14])
			continue
		}
		c, _ := lafsapi.ParseCap(got)
		n, err := f.gw.Info(ctx, c)
		if err != nil || len(n.Children) != len(children) {
			t.Errorf("the gateway lists %d children (%v), want %d", len(n.Children), err, len(children))
		}
	}
	if _, err := f.d.Mkdir(ctx, map[string]direct.Child{"a": {Dir: true, Cap: file}}); err == nil || strings.Contains(err.Error(), file) {
		t.Errorf("a file marked as a directory: %v", err)
	}
}
