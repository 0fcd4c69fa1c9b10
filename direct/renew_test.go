package direct_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/direct"
	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// leaseExpiries is the expiry of the one lease on each share of capStr,
// by node and share number, read from the share files; it fails the test
// when a share has another number of leases.
func leaseExpiries(t *testing.T, g *testgrid.Grid, capStr string) map[[2]int]time.Time {
	t.Helper()
	capv, _, err := chk.ParseURI(capStr)
	must(t, err)
	si := capv.StorageIndex()
	shares, err := g.ImmutableShares(tahoehash.Base32(si[:]))
	must(t, err)
	out := map[[2]int]time.Time{}
	for _, s := range shares {
		if s.Leases != 1 {
			t.Fatalf("share %d on node %d has %d leases, want 1", s.Num, s.Node, s.Leases)
		}
		out[[2]int{s.Node, s.Num}] = s.Expires[0]
	}
	if len(out) == 0 {
		t.Fatal("no shares found")
	}
	return out
}

// TestRenewKeepsOneLease: uploads straight to the servers and through the
// gateway both leave one lease per share, and renewing either way, in any
// order, renews that lease (its expiry moves) instead of adding one.
func TestRenewKeepsOneLease(t *testing.T) {
	f := shared(t)
	ctx := context.Background()
	data := randomBytes(20_000)
	ours, err := f.d.PutFile(ctx, (&opener{data: data}).open, int64(len(data)))
	must(t, err)
	data2 := randomBytes(20_000)
	gw, err := f.gw.UploadBytes(ctx, data2)
	must(t, err)
	for _, c := range []string{ours, gw.Secret()} {
		before := leaseExpiries(t, f.g, c)
		time.Sleep(1100 * time.Millisecond) // expiries have a resolution of a second
		h, err := f.d.Renew(ctx, c)
		if err != nil || !h.Healthy || h.Shares != 4 || h.Renewed != 4 || h.Happiness != 4 {
			t.Fatalf("renew: %+v, %v", h, err)
		}
		after := leaseExpiries(t, f.g, c)
		for k, e := range after {
			if !e.After(before[k]) {
				t.Errorf("share %d on node %d: lease expiry did not move (%v then %v)", k[1], k[0], before[k], e)
			}
		}
		lc, _ := lafsapi.ParseCap(c)
		if _, err := f.gw.Check(ctx, lc, lafsapi.CheckOptions{AddLease: true}); err != nil {
			t.Fatal(err)
		}
		leaseExpiries(t, f.g, c) // the gateway's renewal too keeps one lease
	}
	// Tahoe's own reading of one share file agrees.
	capv, _, _ := chk.ParseURI(ours)
	si := capv.StorageIndex()
	shares, err := f.g.ImmutableShares(tahoehash.Base32(si[:]))
	must(t, err)
	if exp, err := f.g.Leases(f.g.SharePath(shares[0].Node, tahoehash.Base32(si[:]), shares[0].Num)); err != nil || len(exp) != 1 {
		t.Errorf("dump-share: %v leases, %v", exp, err)
	}
}

// TestCheckJudgesAsTheGateway: with a share file removed, Check finds
// what the gateway's t=check finds (same summary), and LIT caps need no
// request.
func TestCheckJudgesAsTheGateway(t *testing.T) {
	skipShort(t)
	g := testgrid.New(t, testgrid.Options{})
	f := realGrid(t, g, direct.Options{})
	ctx := context.Background()
	c, err := f.d.PutFile(ctx, (&opener{data: randomBytes(9000)}).open, 9000)
	must(t, err)
	capv, _, _ := chk.ParseURI(c)
	si := capv.StorageIndex()
	shares, err := g.ImmutableShares(tahoehash.Base32(si[:]))
	must(t, err)
	must(t, os.Remove(g.SharePath(shares[0].Node, tahoehash.Base32(si[:]), shares[0].Num)))
	h, err := f.d.Check(ctx, c, false)
	must(t, err)
	lc, _ := lafsapi.ParseCap(c)
	res, err := f.gw.Check(ctx, lc, lafsapi.CheckOptions{})
	must(t, err)
	if h.Healthy || !h.Recoverable || h.Shares != 3 || h.Summary() != res.Summary || h.Happiness != res.Happiness || h.Renewed != 0 {
		t.Errorf("one share gone: ours %+v %q, the gateway's %+v", h, h.Summary(), res)
	}
	if h, err := f.d.Check(ctx, chk.LITURI([]byte("tiny")), true); err != nil || !h.Healthy {
		t.Errorf("LIT: %+v, %v", h, err)
	}
	if _, err := f.d.Check(ctx, "URI:DIR2:abc:def", true); err == nil {
		t.Error("a mutable cap was accepted")
	}
}
