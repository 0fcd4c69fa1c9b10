package storageapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/lafs-backup/lafs-backup/storageapi"
)

// Fault tests: httptest TLS servers stand in for storage servers where a
// real one will not misbehave on demand (docs/testing.md).

const fakeSwissnum = "fakeswissnumfakeswissnumfakeswis"

// fake starts a TLS server and returns a client whose NURL pins its key.
func fake(t *testing.T, h http.HandlerFunc, o storageapi.Options) (*storageapi.Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	sum := sha256.Sum256(srv.Certificate().RawSubjectPublicKeyInfo)
	n := mustNURL(t, fmt.Sprintf("pb://%s@%s/%s#v=1", b64(sum[:]), srv.Listener.Addr(), fakeSwissnum))
	if o.Name == "" {
		o.Name = "fake"
	}
	return mustClient(t, n, o), srv
}

func cborAnswer(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(status)
	w.Write(body)
}

func TestFive00sAreRetriedThenSucceed(t *testing.T) {
	var calls atomic.Int32
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "Traceback: something broke", http.StatusInternalServerError)
			return
		}
		cborAnswer(w, 200, vector("version"))
	}, storageapi.Options{Attempts: 3})
	v, err := c.Version(t.Context())
	if err != nil || calls.Load() != 3 {
		t.Fatalf("after two 500s: %v, %d calls; want success on the third", err, calls.Load())
	}
	if v.AvailableSpace != 1<<20 {
		t.Errorf("decoded %+v", v)
	}
}

func TestFive00sUntilTheAttemptsRunOut(t *testing.T) {
	var calls atomic.Int32
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "still broken", http.StatusServiceUnavailable)
	}, storageapi.Options{Attempts: 3, Delays: []time.Duration{time.Millisecond}})
	_, err := c.Version(t.Context())
	var e *storageapi.Error
	if !errors.As(err, &e) || e.Status != 503 || e.Attempts != 3 || calls.Load() != 3 {
		t.Fatalf("%v (%d calls), want 503 after 3 attempts", err, calls.Load())
	}
	if want := "storageapi: fake: version: HTTP 503 Service Unavailable: still broken (after 3 attempts)"; err.Error() != want {
		t.Errorf("error %q\nwant  %q", err, want)
	}
}

func TestFourXXIsFinal(t *testing.T) {
	for _, status := range []int{400, 401, 404, 409, 501} {
		var calls atomic.Int32
		c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.WriteHeader(status)
		}, storageapi.Options{Attempts: 4})
		_, err := c.ListShares(t.Context(), storageapi.StorageIndex{})
		if calls.Load() != 1 || storageapi.IsRetryable(err) {
			t.Errorf("%d: %d calls, %v; want one, final", status, calls.Load(), err)
		}
	}
}

func TestHungServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, storageapi.Options{Attempts: 2, IdleTimeout: 300 * time.Millisecond})
	defer close(release)
	start := time.Now()
	_, err := c.Version(t.Context())
	if !errors.Is(err, storageapi.ErrIdleTimeout) || calls.Load() != 2 {
		t.Fatalf("%v after %d calls; want the idle timeout on both attempts", err, calls.Load())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestCallerCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		cancel()
		w.WriteHeader(503)
	}, storageapi.Options{Attempts: 5, Delays: []time.Duration{time.Hour}})
	_, err := c.Version(ctx)
	if !errors.Is(err, context.Canceled) || storageapi.IsRetryable(err) {
		t.Fatalf("%v, want the caller's cancellation", err)
	}
}

func TestWrongCertificateIsRefusedAndNamed(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	other := sha256.Sum256([]byte("some other key"))
	n := mustNURL(t, fmt.Sprintf("pb://%s@%s/%s#v=1", b64(other[:]), srv.Listener.Addr(), fakeSwissnum))
	c := mustClient(t, n, storageapi.Options{Name: "storage7 [abcdefgh]", Attempts: 4})
	_, err := c.Version(t.Context())
	if !errors.Is(err, storageapi.ErrWrongCertificate) || calls.Load() != 0 {
		t.Fatalf("%v (%d requests reached the server), want refused before any request", err, calls.Load())
	}
	msg := err.Error()
	if !strings.Contains(msg, "storage7 [abcdefgh]") || strings.Contains(msg, fakeSwissnum) {
		t.Errorf("%q: want the server's name, not its swissnum", msg)
	}
}

func TestUnauthorizedIsFinal(t *testing.T) {
	var calls atomic.Int32
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		want := "Tahoe-LAFS " + base64.StdEncoding.EncodeToString([]byte("another swissnum"))
		if r.Header.Get("Authorization") != want {
			http.Error(w, "Wrong Authorization header", http.StatusUnauthorized)
		}
	}, storageapi.Options{})
	_, err := c.Version(t.Context())
	if !errors.Is(err, storageapi.ErrUnauthorized) || calls.Load() != 1 {
		t.Fatalf("%v after %d calls, want one final 401", err, calls.Load())
	}
}

// A server echoing our secrets (as Tahoe does for a malformed
// X-Tahoe-Authorization) does not get them into the error.
func TestEchoedSecretsAreRemoved(t *testing.T) {
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, fmt.Sprintf("Bad header value(s): %q %q", r.Header.Values("X-Tahoe-Authorization"),
			r.Header.Get("Authorization")), http.StatusBadRequest)
	}, storageapi.Options{})
	lease, up := randomLease(t), randomSecret(t)
	_, err := c.Allocate(t.Context(), storageapi.StorageIndex{}, []int{0}, 10, lease, up)
	if err == nil {
		t.Fatal("no error")
	}
	for _, s := range []storageapi.Secret{lease.Renew, lease.Cancel, up, storageapi.NewSecret([]byte(fakeSwissnum))} {
		if strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(s.Bytes())) {
			t.Errorf("secret in %q", err)
		}
	}
	if !strings.Contains(err.Error(), "upload-secret (secret)") {
		t.Errorf("%q: want the redacted echo", err)
	}
}

// The last chunk's answer is lost, the share is complete and no longer an
// upload in progress: the retry's 404 is recognised as success.
func TestLostAnswerToTheLastChunk(t *testing.T) {
	var patches atomic.Int32
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "PATCH" && patches.Add(1) == 1:
			conn, _, _ := w.(http.Hijacker).Hijack() // drop the connection unanswered
			conn.Close()
		case r.Method == "PATCH":
			w.WriteHeader(http.StatusNotFound)
		case strings.HasSuffix(r.URL.Path, "/shares"):
			cborAnswer(w, 200, vector("shares")) // {0, 5}
		}
	}, storageapi.Options{Attempts: 2})
	p, err := c.WriteChunk(t.Context(), storageapi.StorageIndex{}, 5, randomSecret(t), 0, []byte("last"))
	if err != nil || !p.Done {
		t.Fatalf("%+v, %v; want done", p, err)
	}
}

func TestRequestsAsTheServerExpects(t *testing.T) {
	var got []string
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		body.ReadFrom(r.Body)
		got = append(got, fmt.Sprintf("%s %s ctype=%q accept=%q range=%q crange=%q secrets=%d body=%x",
			r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Accept"),
			r.Header.Get("Range"), r.Header.Get("Content-Range"),
			len(r.Header.Values("X-Tahoe-Authorization")), body.Bytes()))
		switch r.Method {
		case "POST":
			cborAnswer(w, 200, vector("allocation"))
		case "PATCH":
			cborAnswer(w, 201, vector("required-none"))
		case "PUT":
			w.WriteHeader(204)
		default:
			w.WriteHeader(206)
		}
	}, storageapi.Options{})
	ctx := t.Context()
	si, _ := storageapi.ParseStorageIndex("aaaaaaaaaaaaaaaaaaaaaaaaaa")
	if a, err := c.Allocate(ctx, si, []int{7, 1}, 12345, randomLease(t), randomSecret(t)); err != nil ||
		fmt.Sprint(a.Allocated) != "[1 7 200]" {
		t.Fatalf("allocate: %+v, %v", a, err)
	}
	if _, err := c.WriteChunk(ctx, si, 7, randomSecret(t), 16, []byte("ab")); err != nil {
		t.Fatal(err)
	}
	if err := c.AddLease(ctx, si, randomLease(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadShare(ctx, si, 7, 10, 5); err != nil {
		t.Fatal(err)
	}
	want := []string{
		// {"share-numbers": {1, 7}, "allocated-size": 12345}, as cbor2 writes it
		`POST /storage/v1/immutable/aaaaaaaaaaaaaaaaaaaaaaaaaa ctype="application/cbor" accept="application/cbor" range="" crange="" secrets=3 body=` +
			hex.EncodeToString(vector("allocate-request")),
		`PATCH /storage/v1/immutable/aaaaaaaaaaaaaaaaaaaaaaaaaa/7 ctype="application/octet-stream" accept="application/cbor" range="" crange="bytes 16-17/*" secrets=1 body=6162`,
		`PUT /storage/v1/lease/aaaaaaaaaaaaaaaaaaaaaaaaaa ctype="" accept="application/cbor" range="" crange="" secrets=2 body=`,
		`GET /storage/v1/immutable/aaaaaaaaaaaaaaaaaaaaaaaaaa/7 ctype="" accept="application/cbor" range="bytes=10-14" crange="" secrets=0 body=`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestByteLimiterIsHonoured(t *testing.T) {
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		cborAnswer(w, 200, vector("required-none"))
	}, storageapi.Options{Bytes: rate.NewLimiter(rate.Every(time.Hour), 100)}) // 100 bytes, then one an hour
	// Wait refuses at once what it could not grant before the deadline.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if _, err := c.WriteChunk(ctx, storageapi.StorageIndex{}, 0, randomSecret(t), 0, make([]byte, 60)); err != nil {
		t.Fatalf("within the burst: %v", err)
	}
	if _, err := c.WriteChunk(ctx, storageapi.StorageIndex{}, 0, randomSecret(t), 60, make([]byte, 60)); err == nil {
		t.Fatal("a write beyond the limiter's tokens went out")
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var calls atomic.Int32
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(503)
			return
		}
		cborAnswer(w, 200, vector("allocation-empty"))
	}, storageapi.Options{Logger: log, Attempts: 2})
	lease, up := randomLease(t), randomSecret(t)
	if _, err := c.Allocate(t.Context(), storageapi.StorageIndex{}, []int{0}, 10, lease, up); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "retrying") || !strings.Contains(logs.String(), "level=DEBUG") {
		t.Fatalf("expected a retry warning and debug lines:\n%s", logs.String())
	}
	for _, s := range []storageapi.Secret{lease.Renew, lease.Cancel, up} {
		if strings.Contains(logs.String(), base64.StdEncoding.EncodeToString(s.Bytes())) {
			t.Errorf("a secret is in the logs:\n%s", logs.String())
		}
	}
	if strings.Contains(logs.String(), fakeSwissnum) || strings.Contains(logs.String(),
		base64.StdEncoding.EncodeToString([]byte(fakeSwissnum))) {
		t.Errorf("the swissnum is in the logs:\n%s", logs.String())
	}
}

// Options.Retry can end the retries early; a refused connection is told
// apart from a server that answers badly.
func TestRetryHookStopsRetries(t *testing.T) {
	var calls atomic.Int32
	var asked []int
	c, srv := fake(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "broken", http.StatusInternalServerError)
	}, storageapi.Options{Attempts: 5, Delays: []time.Duration{time.Millisecond},
		Retry: func(e *storageapi.Error) bool { asked = append(asked, e.Attempts); return e.Attempts < 2 }})
	_, err := c.Version(t.Context())
	if calls.Load() != 2 || fmt.Sprint(asked) != "[1 2]" || storageapi.IsUnreachable(err) {
		t.Fatalf("%d calls, hook asked after attempts %v, err %v; want 2 calls", calls.Load(), asked, err)
	}
	srv.Close()
	if _, err := c.Version(t.Context()); !storageapi.IsUnreachable(err) {
		t.Errorf("closed server: %v is not unreachable", err)
	}
}
