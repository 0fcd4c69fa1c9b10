package lafsapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/lafsapi/lafstest"
)

const fakeDir = "URI:DIR2:aaaaaaaaaaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

func TestMkdirImmutableRequest(t *testing.T) {
	dirCap := "URI:DIR2-CHK:aaaaaaaaaaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb:2:4:300"
	var ctype string
	f, c, _ := serve(t, lafsapi.Options{}, func(w http.ResponseWriter, r *http.Request) {
		ctype = r.Header.Get("Content-Type")
		io.WriteString(w, dirCap+"\n")
	})
	file, _ := lafsapi.ParseCap(fakeCHK)
	sub, _ := lafsapi.ParseCap(dirCap)
	got, err := c.MkdirImmutable(context.Background(), map[string]lafsapi.Child{
		"a & <b>": {Cap: file, Metadata: map[string]any{"mode": "0100644", "mtime": 1.5}},
		"sub":     {Cap: sub},
	})
	if err != nil || got.Secret() != dirCap {
		t.Fatalf("err=%v", err)
	}
	if line(f, 0) != "POST /uri?t=mkdir-immutable" || ctype != "application/json" {
		t.Fatalf("request %q with content type %q", line(f, 0), ctype)
	}
	want := `{"a & <b>":["filenode",{"ro_uri":"` + fakeCHK + `","metadata":{"mode":"0100644","mtime":1.5}}],` +
		`"sub":["dirnode",{"ro_uri":"` + dirCap + `","metadata":{}}]}` + "\n"
	if body(f, 0) != want {
		t.Fatalf("body\n got %s\nwant %s", body(f, 0), want)
	}
	// An empty directory still sends {}.
	if _, err := c.MkdirImmutable(context.Background(), nil); err != nil || strings.TrimSpace(body(f, 1)) != "{}" {
		t.Fatalf("empty directory body %q, err %v", body(f, 1), err)
	}
}

func TestMkdirImmutableRefusesTahoeKey(t *testing.T) {
	f, c, _ := serve(t, lafsapi.Options{}, lafstest.Status(200, ""))
	file, _ := lafsapi.ParseCap(fakeCHK)
	_, err := c.MkdirImmutable(context.Background(), map[string]lafsapi.Child{
		"x": {Cap: file, Metadata: map[string]any{"tahoe": map[string]any{}}},
	})
	if err == nil || count(f) != 0 {
		t.Fatalf("err=%v requests=%d", err, count(f))
	}
}

func TestLinkEscapesName(t *testing.T) {
	f, c, _ := serve(t, lafsapi.Options{}, lafstest.Status(201, fakeCHK))
	dir, _ := lafsapi.ParseCap(fakeDir)
	file, _ := lafsapi.ParseCap(fakeCHK)
	if err := c.Link(context.Background(), dir, "a b?#%ü", file); err != nil {
		t.Fatal(err)
	}
	want := "PUT /uri/" + fakeDir + "/a%20b%3F%23%25%C3%BC?replace=true&t=uri"
	if line(f, 0) != want || body(f, 0) != fakeCHK {
		t.Fatalf("request %q body %q\nwant %q", line(f, 0), body(f, 0), want)
	}
	if err := c.Link(context.Background(), file, "x", file); !errors.Is(err, lafsapi.ErrBadCap) || count(f) != 1 {
		t.Fatalf("link into a file cap: %v", err)
	}
}

func TestNonCapAnswerIsFinal(t *testing.T) {
	f, c, _ := serve(t, lafsapi.Options{Attempts: 4}, lafstest.Status(200, "<html>proxy login</html>"))
	_, err := c.UploadBytes(context.Background(), bytes.Repeat([]byte("q"), 100))
	if !errors.Is(err, lafsapi.ErrBadCap) || count(f) != 1 {
		t.Fatalf("err=%v requests=%d", err, count(f))
	}
}

func TestNetworkErrorHasNoCap(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c, err := lafsapi.New("http://"+addr+"/", lafsapi.Options{Attempts: 2, Delays: []time.Duration{time.Millisecond},
		FirstContact: []time.Duration{time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := lafsapi.ParseCap(fakeDir)
	_, err = c.Info(context.Background(), dir, "child")
	var e *lafsapi.Error
	if !errors.As(err, &e) || e.Attempts != 2 || e.Status != 0 || !lafsapi.IsRetryable(err) {
		t.Fatalf("err=%v", err)
	}
	assertNoCap(t, err.Error())
}

func TestMaxConcurrent(t *testing.T) {
	var inFlight, peak atomic.Int32
	_, c, _ := serve(t, lafsapi.Options{MaxConcurrent: 2}, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		io.WriteString(w, fakeCHK)
	})
	done := make(chan error)
	for range 6 {
		go func() {
			_, err := c.UploadBytes(context.Background(), bytes.Repeat([]byte("m"), 100))
			done <- err
		}()
	}
	for range 6 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if peak.Load() > 2 {
		t.Fatalf("%d requests in flight, limit 2", peak.Load())
	}
}

// TestSizeAllowance: after the body is sent the gateway may take longer
// than the idle timeout (it stores shares); the allowance covers that.
func TestSizeAllowance(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, fakeCHK)
	}
	data := bytes.Repeat([]byte("s"), 1<<20)
	// 1 MiB at 1000 s per GiB: about 1 s of allowance.
	f, c, _ := serve(t, lafsapi.Options{Attempts: 1, IdleTimeout: 100 * time.Millisecond, PerGiB: 1000 * time.Second}, slow)
	if _, err := c.UploadBytes(context.Background(), data); err != nil || count(f) != 1 {
		t.Fatalf("err=%v requests=%d", err, count(f))
	}
	// Without the allowance the same upload times out.
	_, c2, _ := serve(t, lafsapi.Options{Attempts: 1, IdleTimeout: 100 * time.Millisecond, PerGiB: time.Nanosecond}, slow)
	if _, err := c2.UploadBytes(context.Background(), data); !errors.Is(err, lafsapi.ErrIdleTimeout) {
		t.Fatalf("err=%v, want an idle timeout", err)
	}
}

func TestDownload(t *testing.T) {
	f, c, _ := serve(t, lafsapi.Options{}, lafstest.Status(503, ""), lafstest.Status(200, "content"))
	fc, _ := lafsapi.ParseCap(fakeCHK)
	rc, err := c.Download(context.Background(), fc)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "content" || count(f) != 2 {
		t.Fatalf("got %q after %d requests", data, count(f))
	}
	// A LIT cap is decoded locally.
	rc, err = c.Download(context.Background(), lafsapi.LITCap([]byte("tiny")))
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(rc)
	if string(data) != "tiny" || count(f) != 2 {
		t.Fatalf("LIT download: %q, %d requests", data, count(f))
	}
}

func TestCheckRepairResults(t *testing.T) {
	body := map[string]any{
		"storage-index": "si", "repair-attempted": true, "repair-successful": true,
		"pre-repair-results":  map[string]any{"storage-index": "si", "summary": "Not Healthy", "results": map[string]any{"healthy": false, "recoverable": true, "count-shares-good": 2}},
		"post-repair-results": map[string]any{"storage-index": "si", "summary": "Healthy", "results": map[string]any{"healthy": true, "recoverable": true, "count-shares-good": 4}},
	}
	js, _ := json.Marshal(body)
	f, c, _ := serve(t, lafsapi.Options{}, lafstest.Status(200, string(js)))
	fc, _ := lafsapi.ParseCap(fakeCHK)
	res, err := c.Check(context.Background(), fc, lafsapi.CheckOptions{Repair: true, Verify: true})
	if err != nil || !res.Healthy || res.SharesGood != 4 || !res.RepairSuccessful || res.PreRepair == nil || res.PreRepair.SharesGood != 2 {
		t.Fatalf("%v %+v", err, res)
	}
	if !strings.Contains(line(f, 0), "repair=true") || !strings.Contains(line(f, 0), "verify=true") || strings.Contains(line(f, 0), "add-lease") {
		t.Fatalf("request %q", line(f, 0))
	}
	// LIT: no request.
	if res, err := c.Check(context.Background(), lafsapi.LITCap(nil), lafsapi.CheckOptions{}); err != nil || !res.Healthy || count(f) != 1 {
		t.Fatalf("LIT check: %v %+v", err, res)
	}
}
