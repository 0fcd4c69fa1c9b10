package lafsapi_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestFaultsOnOwnGrid runs the tests that stop nodes, restart the gateway
// or delete shares on one grid of their own (starting a grid costs
// seconds). Each subtest leaves every node running.
func TestFaultsOnOwnGrid(t *testing.T) {
	g := testgrid.New(t, testgrid.Options{})
	t.Run("NotEnoughServers", func(t *testing.T) { testNotEnoughServers(t, g) })
	t.Run("GatewayRestartMidUpload", func(t *testing.T) { testGatewayRestartMidUpload(t, g) })
	t.Run("Repair", func(t *testing.T) { testRepair(t, g) })
}

func testNotEnoughServers(t *testing.T, g *testgrid.Grid) {
	for _, i := range []int{0, 1} {
		if err := g.StopStorage(i); err != nil {
			t.Fatal(err)
		}
	}
	c, err := lafsapi.New(g.URL(), lafsapi.Options{Attempts: 2, Delays: []time.Duration{10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UploadBytes(context.Background(), bytes.Repeat([]byte("n"), 1000))
	if !errors.Is(err, lafsapi.ErrNotEnoughServers) {
		t.Fatalf("upload with 2 of 4 servers (happy 3): %v", err)
	}
	var e *lafsapi.Error
	if !errors.As(err, &e) || e.Status != 500 || e.Attempts != 2 || e.Op != "upload" {
		t.Fatalf("error fields: %#v", e)
	}
	msg := err.Error()
	if strings.Contains(msg, "Traceback") || strings.Contains(msg, "<div") || !strings.Contains(msg, "not enough storage servers") {
		t.Fatalf("message: %s", msg)
	}
	// Servers back: the same client succeeds.
	for _, i := range []int{0, 1} {
		if err := g.StartStorage(i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.UploadBytes(context.Background(), bytes.Repeat([]byte("n"), 1000)); err != nil {
		t.Fatal(err)
	}
}

// testGatewayRestartMidUpload restarts the gateway while an upload body is
// being sent; the client retries with a freshly opened body and succeeds.
func testGatewayRestartMidUpload(t *testing.T, g *testgrid.Grid) {
	c, err := lafsapi.New(g.URL(), lafsapi.Options{Attempts: 20, Delays: []time.Duration{250 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("restart me "), 300_000) // 3.3 MB
	var opens atomic.Int32
	restarted := make(chan error, 1)
	open := func() (io.ReadCloser, error) {
		if opens.Add(1) == 1 {
			// First attempt: half the body, then the gateway goes away.
			pr, pw := io.Pipe()
			go func() {
				pw.Write(data[:len(data)/2])
				restarted <- g.RestartGateway()
				pw.CloseWithError(errors.New("source stalled"))
			}()
			return pr, nil
		}
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	fc, err := c.UploadFile(context.Background(), open, int64(len(data)))
	if rerr := <-restarted; rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil {
		t.Fatalf("upload across a gateway restart: %v", err)
	}
	if opens.Load() < 2 {
		t.Fatalf("source opened %d times, want a re-open", opens.Load())
	}
	if !bytes.Equal(download(t, c, fc), data) {
		t.Fatal("content differs after retried upload")
	}
}

// testRepair deletes shares from two storage nodes: the file is still
// recoverable (2 of 4 needed) but unhealthy until a repair.
func testRepair(t *testing.T, g *testgrid.Grid) {
	ctx := context.Background()
	c, err := lafsapi.New(g.URL(), lafsapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fc, err := c.UploadBytes(ctx, bytes.Repeat([]byte("repair me "), 1000))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Check(ctx, fc, lafsapi.CheckOptions{})
	if err != nil || !res.Healthy || res.StorageIndex == "" {
		t.Fatalf("fresh upload: %v %+v", err, res)
	}
	removed := 0
	for _, i := range []int{0, 1} {
		dir := filepath.Join(g.StorageDir(i), "shares", res.StorageIndex[:2], res.StorageIndex)
		entries, _ := os.ReadDir(dir)
		removed += len(entries)
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	if removed == 0 {
		t.Fatal("no shares found on storage nodes 0 and 1")
	}
	res, err = c.Check(ctx, fc, lafsapi.CheckOptions{})
	if err != nil || res.Healthy || !res.Recoverable || res.SharesGood != 4-removed {
		t.Fatalf("after deleting %d shares: %v %+v", removed, err, res)
	}
	res, err = c.Check(ctx, fc, lafsapi.CheckOptions{Repair: true, AddLease: true})
	if err != nil || !res.RepairAttempted || !res.RepairSuccessful || !res.Healthy || res.PreRepair == nil || res.PreRepair.Healthy {
		t.Fatalf("repair: %v %+v", err, res)
	}
	if res, err = c.Check(ctx, fc, lafsapi.CheckOptions{}); err != nil || !res.Healthy {
		t.Fatalf("after repair: %v %+v", err, res)
	}
}
