package direct_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/direct"
	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestStorageNodesDownAndBack: with one of four nodes down happiness 3
// is still met; with two it is not, and the error says how many servers
// were reachable and names the others; once they are back (and DownFor
// has passed) shares go to all four again.
func TestStorageNodesDownAndBack(t *testing.T) {
	skipShort(t)
	g := testgrid.New(t, testgrid.Options{})
	must(t, g.StopStorage(3))
	f := realGrid(t, g, direct.Options{DownFor: 200 * time.Millisecond})
	ctx := context.Background()
	for _, size := range []int64{5000, 3<<20 + 1} {
		o := &opener{data: randomBytes(size)}
		c, err := f.d.PutFile(ctx, o.open, size)
		if err != nil {
			t.Fatalf("%d bytes with one node down: %v", size, err)
		}
		f.readBack(t, c, o.data)
		if h, err := f.d.Check(ctx, c, false); err != nil || h.Happiness != 3 || !h.Healthy || h.Unreachable != 1 {
			t.Errorf("%d bytes with one node down: %+v, %v; want 4 shares on 3 servers", size, h, err)
		}
	}
	must(t, g.StopStorage(2))
	_, err := f.d.PutFile(ctx, (&opener{data: randomBytes(5000)}).open, 5000)
	var pe *direct.PlacementError
	if !errors.Is(err, direct.ErrNotEnoughServers) || !errors.As(err, &pe) ||
		!contains(err.Error(), "2 of 4 storage servers reachable", "shares.happy = 3", storageNames(g, 2)[0], storageNames(g, 3)[0]) {
		t.Fatalf("two nodes down: %v", err)
	}
	must(t, g.StartStorage(2))
	must(t, g.StartStorage(3))
	time.Sleep(300 * time.Millisecond)
	o := &opener{data: randomBytes(5000)}
	c, err := f.d.PutFile(ctx, o.open, 5000)
	if err != nil {
		t.Fatalf("nodes back: %v", err)
	}
	f.readBack(t, c, o.data)
	if h, err := f.d.Check(ctx, c, false); err != nil || h.Happiness != 4 {
		t.Errorf("nodes back: %+v, %v; want the shares on all four", h, err)
	}
}

// TestStorageNodeStoppedMidUpload stops a node while a large file's
// shares stream to it: the three others complete, happiness 3 is met, the
// upload succeeds, and the gateway reads it back.
func TestStorageNodeStoppedMidUpload(t *testing.T) {
	skipShort(t)
	g := testgrid.New(t, testgrid.Options{})
	const size = 8 << 20 // 16 MiB of shares at 4 MB/s
	f := realGrid(t, g, direct.Options{Bytes: rate.NewLimiter(4e6, 256<<10)})
	stopped := make(chan error, 1)
	time.AfterFunc(1500*time.Millisecond, func() { stopped <- g.StopStorage(1) })
	o := &opener{data: randomBytes(size)}
	c, err := f.d.PutFile(context.Background(), o.open, size)
	must(t, <-stopped)
	if err != nil {
		t.Fatalf("a node stopped mid-upload: %v", err)
	}
	f.readBackWith(t, c, o.data, 3)
	capv, _, _ := chk.ParseURI(c)
	si := capv.StorageIndex()
	shares, err := g.ImmutableShares(tahoehash.Base32(si[:]))
	must(t, err)
	for _, s := range shares {
		if s.Node == 1 {
			t.Errorf("node 1 holds a complete share though it was stopped halfway")
		}
	}
}

// TestFaultyServers: a server answering 500 to every upload request and
// one whose certificate does not match its NURL, beside the four real
// nodes. Uploads succeed elsewhere; the 500s are retried as configured
// and the server is then left alone; the other is refused at once. Where
// the real servers are too few, the error names both.
func TestFaultyServers(t *testing.T) {
	skipShort(t)
	g := testgrid.Shared(t)
	broken := newFake(t, "broken", 500, false)
	impostor := newFake(t, "impostor", 200, true)
	f := onNode(t, g, nodeDir(t, g, storageNames(g, 0, 1, 2, 3), broken, impostor), direct.Options{Attempts: 2})
	ctx := context.Background()
	for range 12 {
		o := &opener{data: randomBytes(3000)}
		c, err := f.d.PutFile(ctx, o.open, 3000)
		if err != nil {
			t.Fatalf("with a broken server and an impostor beside four good ones: %v", err)
		}
		f.readBack(t, c, o.data)
	}
	if n := broken.requests.Load(); n != 2 {
		t.Errorf("the broken server got %d upload requests, want 2 (one request, one retry, then left alone)", n)
	}
	if n := impostor.requests.Load(); n != 0 {
		t.Errorf("the impostor got %d requests", n)
	}

	few := onNode(t, g, nodeDir(t, g, storageNames(g, 0, 1), newFake(t, "broken", 500, false), impostor), direct.Options{Attempts: 2})
	_, err := few.d.PutFile(ctx, (&opener{data: randomBytes(3000)}).open, 3000)
	if !errors.Is(err, direct.ErrNotEnoughServers) ||
		!contains(err.Error(), "2 of 4 storage servers reachable", "broken", "HTTP 500", "impostor", "certificate does not match") {
		t.Errorf("two good servers, a broken one and an impostor: %v", err)
	}
}
