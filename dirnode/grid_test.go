package dirnode

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

func TestMain(m *testing.M) { testgrid.Main(m) }

// TestGridMkdirImmutable checks that our packing and encoding of a
// directory give the cap the gateway's mkdir-immutable gives for the same
// request, and that its shares are the storage nodes' files.
func TestGridMkdirImmutable(t *testing.T) {
	if testing.Short() {
		t.Skip("real grid")
	}
	g := testgrid.Shared(t)
	secret, err := g.ConvergenceSecret()
	if err != nil {
		t.Fatal(err)
	}
	needed, _, total := g.Encoding()
	p := chk.Params{Needed: needed, Total: total}
	c, err := lafsapi.New(g.URL(), lafsapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lit, err := c.UploadBytes(ctx, []byte("tiny"))
	if err != nil {
		t.Fatal(err)
	}
	file, err := c.UploadBytes(ctx, bytes.Repeat([]byte("a file of more than 55 bytes "), 9))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.MkdirImmutable(ctx, map[string]lafsapi.Child{"x": {Cap: lit, Metadata: map[string]any{}}})
	if err != nil {
		t.Fatal(err)
	}
	caps := []string{lit.Secret(), file.Secret(), sub.Secret()}
	for name, children := range gridDirs(caps) {
		t.Run(name, func(t *testing.T) {
			got := mkdirImmutable(t, g.URL(), body(t, children))
			packed, err := Pack(children)
			if err != nil {
				t.Fatal(err)
			}
			if stored := storedContents(t, c, got); !bytes.Equal(packed, stored) {
				t.Fatalf("our packing differs from the gateway's\n ours    %q\n gateway %q", packed, stored)
			}
			d, err := Encode(secret, p, children)
			if err != nil {
				t.Fatal(err)
			}
			if d.URI() != got {
				t.Fatalf("our dircap differs from mkdir-immutable's\n ours %s\n gateway %s", d.URI(), got)
			}
			if d.Encoded != nil {
				checkShares(t, g, d.Encoded)
			}
		})
	}
}

// gridDirs are directories with awkward names and the uploader's kind of
// metadata.
func gridDirs(caps []string) map[string]map[string]Child {
	md := awkwardMeta(1700000000.5)
	return map[string]map[string]Child{
		"awkward": {
			"caf\u00e9":          {Cap: caps[1], Metadata: md},
			"\u65e5\u672c\u8a9e": {Cap: caps[2], Metadata: map[string]any{"mtime": 1e16, "xattrs": map[string]any{}}},
			"\U0001F600 smile":   {Cap: caps[0], Metadata: map[string]any{"mtime": 0.0001}},
			"q\"uote\\slash":     {Cap: caps[1], Metadata: map[string]any{"mtime": 1700000000.123456789}},
			"tab\there\u2028<&>": {Cap: caps[0], Metadata: map[string]any{"uid": "0", "mtime": 1e-7}},
			"Zebra":              {Cap: caps[2], Metadata: map[string]any{}},
			"zebra":              {Cap: caps[1], Metadata: nil},
		},
		"nfd": {
			"cafe\u0301":          {Cap: caps[1], Metadata: md},
			"\u00c5ngstro\u0308m": {Cap: caps[0], Metadata: map[string]any{"mtime": 12.5}},
		},
		"lit":   {"a": {Cap: caps[0], Metadata: nil}},
		"empty": {},
	}
}

// mkdirImmutable posts body as the web-API client does, but with plain
// net/http so that names lafsapi refuses (not NFC) reach the gateway too.
func mkdirImmutable(t *testing.T, gateway, body string) string {
	t.Helper()
	resp, err := http.Post(gateway+"uri?t=mkdir-immutable", "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("mkdir-immutable: %s %v", resp.Status, err)
	}
	return string(b)
}

// storedContents reads a directory's packed contents: a DIR2-CHK cap's
// fields are those of the CHK file holding them, and a DIR2-LIT cap holds
// them in base32.
func storedContents(t *testing.T, c *lafsapi.Client, dircap string) []byte {
	t.Helper()
	if rest, ok := strings.CutPrefix(dircap, "URI:DIR2-LIT:"); ok {
		b, err := tahoehash.DecodeBase32(rest)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rest, ok := strings.CutPrefix(dircap, "URI:DIR2-CHK:")
	if !ok {
		t.Fatalf("mkdir-immutable answered with a %.13s... cap", dircap)
	}
	fc, err := lafsapi.ParseCap("URI:CHK:" + rest)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Download(context.Background(), fc)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkShares(t *testing.T, g *testgrid.Grid, enc *chk.Encoded) {
	t.Helper()
	shares, err := g.ImmutableShares(tahoehash.Base32(enc.StorageIndex[:]))
	if err != nil {
		t.Fatal(err)
	}
	if len(shares) < len(enc.Shares) {
		t.Errorf("%d shares stored, want %d", len(shares), len(enc.Shares))
	}
	for _, s := range shares {
		if s.Num >= len(enc.Shares) || !bytes.Equal(s.Data, enc.Shares[s.Num]) {
			t.Errorf("stored share %d on node %d differs from ours", s.Num, s.Node)
		}
	}
}
