package lafsapi_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

func TestNotEnoughServers(t *testing.T) {
	g := testgrid.New(t, testgrid.Options{})
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
	if err := g.StartStorage(0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadBytes(context.Background(), bytes.Repeat([]byte("n"), 1000)); err != nil {
		t.Fatal(err)
	}
}

// TestGatewayRestartMidUpload restarts the gateway while an upload body is
// being sent; the client retries with a fresh body and succeeds.
func TestGatewayRestartMidUpload(t *testing.T) {
	g := testgrid.New(t, testgrid.Options{})
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
