package lafsapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/lafsapi/lafstest"
)

// A syntactically valid CHK cap that no grid holds.
const fakeCHK = "URI:CHK:aaaaaaaaaaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb:2:4:1000"

// serve starts a fake gateway (lafstest) that answers the first request
// with the first reply, the second with the second and every later one with
// the last, and a client with fast retries that logs into logs.
func serve(t *testing.T, opts lafsapi.Options, replies ...http.HandlerFunc) (*lafstest.Server, *lafsapi.Client, *bytes.Buffer) {
	t.Helper()
	s := lafstest.New(t)
	s.Fault(lafstest.Any, lafstest.Replies(replies...))
	var logs bytes.Buffer
	opts.Logger = slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return s, s.Client(t, opts), &logs
}

// count, body and line read the server's request log.
func count(s *lafstest.Server) int { return len(s.Requests()) }

func body(s *lafstest.Server, i int) string { return string(s.Requests()[i].Body) }

func line(s *lafstest.Server, i int) string { return s.Requests()[i].Line }

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestRetryPolicy(t *testing.T) {
	notEnough := "Traceback (most recent call last):\n  File \"x\"\nallmydata.interfaces.UploadUnhappinessError: shares could be placed on only 1 server(s)"
	for _, tc := range []struct {
		name    string
		code    int
		body    string
		retried bool
	}{
		{"503", 503, "busy", true},
		{"502", 502, "", true},
		{"504", 504, "", true},
		{"429", 429, "slow down", true},
		{"500 not enough servers", 500, notEnough, true},
		{"500 other", 500, "Traceback (most recent call last):\nKeyError: 'x'", false},
		{"400", 400, "bad argument", false},
		{"403", 403, "blacklisted", false},
		{"404", 404, "No such child: x", false},
		{"409", 409, "exists", false},
		{"410", 410, "NotEnoughSharesError", false},
		{"413", 413, "too large", false},
		{"501", 501, "Content-Range", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, c, _ := serve(t, lafsapi.Options{Attempts: 3}, lafstest.Status(tc.code, tc.body), lafstest.Status(200, fakeCHK))
			got, err := c.UploadBytes(context.Background(), bytes.Repeat([]byte("d"), 100))
			if tc.retried {
				if err != nil || got.Secret() != fakeCHK || count(f) != 2 {
					t.Fatalf("err=%v requests=%d, want success on the second", err, count(f))
				}
				for i, r := range f.Requests() {
					if len(r.Body) != 100 {
						t.Fatalf("attempt %d sent %d bytes, want the whole body again", i+1, len(r.Body))
					}
				}
				return
			}
			var e *lafsapi.Error
			if !errors.As(err, &e) || e.Status != tc.code || count(f) != 1 || lafsapi.IsRetryable(err) {
				t.Fatalf("err=%v requests=%d, want a final HTTP %d after one request", err, count(f), tc.code)
			}
		})
	}
}

func TestAllAttemptsFail(t *testing.T) {
	f, c, logs := serve(t, lafsapi.Options{Attempts: 3}, lafstest.Status(503, "Service Unavailable: "+fakeCHK))
	fc, _ := lafsapi.ParseCap(fakeCHK)
	_, err := c.Check(context.Background(), fc, lafsapi.CheckOptions{AddLease: true})
	var e *lafsapi.Error
	if !errors.As(err, &e) || e.Attempts != 3 || count(f) != 3 || e.Op != "check" {
		t.Fatalf("err=%v requests=%d", err, count(f))
	}
	msg := err.Error()
	if !strings.Contains(msg, "check") || !strings.Contains(msg, "503") || !strings.Contains(msg, "after 3 attempts") {
		t.Fatalf("message does not name the operation and status: %s", msg)
	}
	assertNoCap(t, msg, logs.String())
	if !strings.Contains(line(f, 0), "t=check") || !strings.Contains(line(f, 0), "add-lease=true") {
		t.Fatalf("request: %s", line(f, 0))
	}
}

// assertNoCap fails when any text holds the fake cap or its key.
func assertNoCap(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, "aaaaaaaaaaaaaaaaaaaaaaaaaa") || strings.Contains(s, "bbbbbbbbbbbbbbbbbbbb") {
			t.Fatalf("a cap leaked: %s", s)
		}
	}
}

func TestHungResponseTimesOutAndRetries(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	f, c, _ := serve(t, lafsapi.Options{Attempts: 3, IdleTimeout: 200 * time.Millisecond}, hang, lafstest.Status(200, fakeCHK))
	got, err := c.UploadBytes(context.Background(), bytes.Repeat([]byte("h"), 100))
	if err != nil || got.Secret() != fakeCHK || count(f) != 2 {
		t.Fatalf("err=%v requests=%d", err, count(f))
	}
}

func TestHungEveryTimeReportsTimeout(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	_, c, _ := serve(t, lafsapi.Options{Attempts: 2, IdleTimeout: 100 * time.Millisecond}, hang)
	_, err := c.MkdirImmutable(context.Background(), nil)
	if !errors.Is(err, lafsapi.ErrIdleTimeout) || !strings.Contains(err.Error(), "mkdir-immutable") {
		t.Fatalf("err=%v, want an idle timeout naming the operation", err)
	}
}

func TestCallerCancelStopsRetrying(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f, c, _ := serve(t, lafsapi.Options{Attempts: 100, Delays: []time.Duration{time.Hour}},
		func(w http.ResponseWriter, r *http.Request) { cancel(); w.WriteHeader(503) })
	_, err := c.UploadBytes(ctx, []byte("x"))
	if !errors.Is(err, context.Canceled) || count(f) != 1 {
		t.Fatalf("err=%v requests=%d", err, count(f))
	}
}

func TestStreamStopsAtErrorLine(t *testing.T) {
	dir := "URI:DIR2-CHK:aaaaaaaaaaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb:2:4:100"
	lines := fmt.Sprintf(`{"type": "directory", "path": [], "cap": %q, "storage-index": "x", "check-results": {"storage-index": "x", "summary": "Healthy", "results": {"healthy": true, "recoverable": true, "count-shares-good": 4}}}
{"type": "directory", "path": ["sub"], "cap": %q, "storage-index": "y", "check-results": {"results": {"healthy": false, "recoverable": false}}}
ERROR: UnrecoverableFileError(the directory %s could not be read)
Traceback (most recent call last):
  File "foo.py", line 1
{"type": "stats", "stats": {}}
`, dir, dir, dir)
	_, c, logs := serve(t, lafsapi.Options{}, lafstest.Status(200, lines))
	root, _ := lafsapi.ParseCap(dir)
	var units []lafsapi.DeepCheckUnit
	err := c.StreamDeepCheck(context.Background(), root, lafsapi.CheckOptions{AddLease: true}, func(u lafsapi.DeepCheckUnit) error {
		units = append(units, u)
		return nil
	})
	var se *lafsapi.StreamError
	if !errors.As(err, &se) || len(se.Path) != 1 || se.Path[0] != "sub" || !strings.Contains(se.Msg, "UnrecoverableFileError") {
		t.Fatalf("err=%v, want a StreamError after sub", err)
	}
	if len(units) != 2 || !units[0].Check.Healthy || units[0].Check.SharesGood != 4 || units[1].Check.Recoverable {
		t.Fatalf("units: %+v", units)
	}
	assertNoCap(t, err.Error(), logs.String())
}

func TestStreamTruncated(t *testing.T) {
	_, c, _ := serve(t, lafsapi.Options{}, lafstest.Status(200, `{"type": "directory", "path": []}`+"\n"))
	root, _ := lafsapi.ParseCap("URI:DIR2-LIT:")
	err := c.StreamManifest(context.Background(), root, func(lafsapi.ManifestUnit) error { return nil })
	if !errors.Is(err, lafsapi.ErrTruncated) {
		t.Fatalf("err=%v, want ErrTruncated", err)
	}
}

// maxReader records the largest read asked of it.
type maxReader struct {
	r   io.Reader
	max atomic.Int64
}

func (m *maxReader) Read(p []byte) (int, error) {
	if int64(len(p)) > m.max.Load() {
		m.max.Store(int64(len(p)))
	}
	return m.r.Read(p)
}

func TestByteLimiterWaitsInBurstPieces(t *testing.T) {
	f, c, _ := serve(t, lafsapi.Options{Bytes: newLimiter(1e9, 1000)},
		func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, fakeCHK) })
	data := bytes.Repeat([]byte("z"), 10_000)
	src := &maxReader{r: bytes.NewReader(data)}
	open := func() (io.ReadCloser, error) { return io.NopCloser(src), nil }
	if _, err := c.UploadFile(context.Background(), open, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if len(body(f, 0)) != len(data) || src.max.Load() > 1000 {
		t.Fatalf("sent %d bytes, largest read %d (burst 1000)", len(body(f, 0)), src.max.Load())
	}
}

// TestRestartedGatewayIsRetried: a 500 is final, except right after the
// gateway could not be reached, when a restarted gateway answers 500 until
// it has reconnected to its storage servers.
func TestRestartedGatewayIsRetried(t *testing.T) {
	restarting := "Traceback (most recent call last):\nbuiltins.AssertionError:"
	f, c, _ := serve(t, lafsapi.Options{Attempts: 4}, lafstest.HangUp, lafstest.Status(500, restarting), lafstest.Status(200, fakeCHK))
	got, err := c.UploadBytes(context.Background(), bytes.Repeat([]byte("d"), 100))
	if err != nil || got.Secret() != fakeCHK || count(f) != 3 {
		t.Fatalf("err=%v requests=%d, want success on the third", err, count(f))
	}
	f, c, _ = serve(t, lafsapi.Options{Attempts: 4}, lafstest.Status(500, restarting), lafstest.Status(200, fakeCHK))
	if _, err := c.UploadBytes(context.Background(), bytes.Repeat([]byte("d"), 100)); err == nil || count(f) != 1 {
		t.Fatalf("err=%v requests=%d: a 500 without a network error before it must stay final", err, count(f))
	}
}
