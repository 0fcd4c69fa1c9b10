package direct_test

import (
	"context"
	"testing"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/direct"
	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
	"github.com/lafs-backup/lafs-backup/storageapi"
	"github.com/lafs-backup/lafs-backup/tahoenode"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// halfWrite leaves share shnum of enc on server s half-written, as a
// process killed mid-upload would, with the given upload secret.
func halfWrite(t *testing.T, n *tahoenode.Node, s tahoenode.Server, enc *chk.Encoded, shnum int, upload storageapi.Secret) {
	t.Helper()
	c, err := storageapi.New(s.NURLs[0], storageapi.Options{})
	must(t, err)
	defer c.Close()
	si := storageapi.StorageIndex(enc.StorageIndex)
	share := enc.Shares[shnum]
	a, err := c.Allocate(context.Background(), si, []int{shnum}, int64(len(share)), n.LeaseSecrets(si, s), upload)
	if err != nil || len(a.Allocated) != 1 {
		t.Fatalf("allocate: %+v, %v", a, err)
	}
	if _, err := c.WriteChunk(context.Background(), si, shnum, upload, 0, share[:len(share)/2]); err != nil {
		t.Fatal(err)
	}
}

// TestResumeOwnHalfWrittenShares: shares a killed run of ours left
// half-written (same deterministic upload secret) are finished in place,
// and one another client is writing is placed elsewhere; either way the
// upload completes with every share stored once.
func TestResumeOwnHalfWrittenShares(t *testing.T) {
	skipShort(t)
	g := testgrid.Shared(t)
	f := realGrid(t, g, direct.Options{})
	n, err := tahoenode.Read(g.GatewayDir())
	must(t, err)
	for _, tc := range []struct {
		name    string
		ours    bool
		wantOn0 bool // share 0 ends up on the first server of the ring
	}{
		{"our own crashed upload", true, true},
		{"another client's upload in progress", false, false},
	} {
		data := randomBytes(50_000)
		enc, err := chk.Encode(n.Convergence.Bytes(), f.d.Params(), data)
		must(t, err)
		si := storageapi.StorageIndex(enc.StorageIndex)
		ring := n.Permuted(si)
		for sh := range 2 {
			secret := n.UploadSecret(si, ring[sh])
			if !tc.ours {
				secret = storageapi.NewSecret(random(32))
			}
			halfWrite(t, n, ring[sh], enc, sh, secret)
		}
		got, err := f.d.PutFile(context.Background(), (&opener{data: data}).open, int64(len(data)))
		if err != nil || got != enc.Cap.URI() {
			t.Fatalf("%s: %v", tc.name, err)
		}
		f.readBack(t, got, data)
		shares, err := g.ImmutableShares(tahoehash.Base32(si[:]))
		must(t, err)
		seen := map[int]int{}
		for _, s := range shares {
			seen[s.Num]++
			if s.Num == 0 && (filepathBase(g, s.Node) == ring[0].Nickname) != tc.wantOn0 {
				t.Errorf("%s: share 0 stored on %s", tc.name, filepathBase(g, s.Node))
			}
		}
		if len(seen) != 4 || seen[0] != 1 || seen[1] != 1 {
			t.Errorf("%s: shares stored %v, want each of 0-3 once", tc.name, seen)
		}
	}
}

func filepathBase(g *testgrid.Grid, node int) string { return storageNames(g, node)[0] }
