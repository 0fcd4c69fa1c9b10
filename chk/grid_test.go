package chk

import (
	"bytes"
	"context"
	"testing"

	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

func TestMain(m *testing.M) { testgrid.Main(m) }

// gridSizes are the sizes of the "caps identical" list.
var gridSizes = []int64{56, 1 << 10, 128<<10 - 1, 128 << 10, 128<<10 + 1, 1<<20 + 7, 10 << 20}

// TestGridCapsAndShares uploads content through the gateway (PUT /uri) and
// checks that our cap is the gateway's and our shares are byte for byte
// the share files the storage nodes wrote.
func TestGridCapsAndShares(t *testing.T) {
	if testing.Short() {
		t.Skip("real grid")
	}
	t.Run("2-of-4", func(t *testing.T) { testGrid(t, testgrid.Shared(t)) })
	t.Run("3-of-7", func(t *testing.T) {
		testGrid(t, testgrid.New(t, testgrid.Options{Needed: 3, Happy: 4, Total: 7}))
	})
}

func testGrid(t *testing.T, g *testgrid.Grid) {
	secret, p := gatewayEncoding(t, g)
	c, err := lafsapi.New(g.URL(), lafsapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, size := range gridSizes {
		data := content(int64(1000+i), size)
		got, err := c.UploadBytes(context.Background(), data)
		if err != nil {
			t.Fatalf("%d bytes: upload: %v", size, err)
		}
		enc, err := Encode(secret, p, data)
		if err != nil {
			t.Fatal(err)
		}
		if enc.Cap.URI() != got.Secret() {
			t.Errorf("%d bytes, %d-of-%d: our cap differs from the gateway's", size, p.Needed, p.Total)
			continue
		}
		checkStoredShares(t, g, enc, size)
	}
}

// checkStoredShares compares every share file of the storage index with
// our share of the same number.
func checkStoredShares(t *testing.T, g *testgrid.Grid, enc *Encoded, size int64) {
	t.Helper()
	shares, err := g.ImmutableShares(tahoehash.Base32(enc.StorageIndex[:]))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, s := range shares {
		seen[s.Num] = true
		if s.Num >= len(enc.Shares) {
			t.Errorf("%d bytes: node %d has share %d of %d", size, s.Node, s.Num, len(enc.Shares))
		} else if !bytes.Equal(s.Data, enc.Shares[s.Num]) {
			t.Errorf("%d bytes: share %d on node %d (%d bytes) differs from ours (%d bytes)",
				size, s.Num, s.Node, len(s.Data), len(enc.Shares[s.Num]))
		}
	}
	if len(seen) != len(enc.Shares) {
		t.Errorf("%d bytes: the nodes hold %d distinct shares, want %d", size, len(seen), len(enc.Shares))
	}
}

// gatewayEncoding is the gateway's convergence secret and encoding.
func gatewayEncoding(t *testing.T, g *testgrid.Grid) ([]byte, Params) {
	t.Helper()
	secret, err := g.ConvergenceSecret()
	if err != nil {
		t.Fatal(err)
	}
	needed, _, total := g.Encoding()
	return secret, Params{Needed: needed, Total: total}
}
