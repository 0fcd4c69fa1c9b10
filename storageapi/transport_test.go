package storageapi_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/storageapi"
)

// The client's own HTTP/1.1 transport (docs/storage-protocol.md,
// Connections): connections kept alive and reused, and given up when the
// server closes them, the caller cancels or an answer is left unread.

// counted is a fake server that counts the connections it accepts.
type counted struct {
	srv   *httptest.Server
	conns atomic.Int32
}

func fakeCounted(t *testing.T, h http.HandlerFunc, o storageapi.Options) (*storageapi.Client, *counted) {
	t.Helper()
	f := &counted{srv: httptest.NewUnstartedServer(h)}
	f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	sum := sha256.Sum256(f.srv.Certificate().RawSubjectPublicKeyInfo)
	n := mustNURL(t, fmt.Sprintf("pb://%s@%s/%s#v=1", b64(sum[:]), f.srv.Listener.Addr(), fakeSwissnum))
	o.Name = "fake"
	return mustClient(t, n, o), f
}

func versionAnswer(w http.ResponseWriter, r *http.Request) { cborAnswer(w, 200, vector("version")) }

func TestConnectionsAreKeptAndReused(t *testing.T) {
	c, f := fakeCounted(t, versionAnswer, storageapi.Options{Attempts: 1})
	for i := range 50 {
		if _, err := c.Version(t.Context()); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if n := f.conns.Load(); n != 1 {
		t.Errorf("50 requests in turn opened %d connections, want 1", n)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*20)
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if _, err := c.Version(t.Context()); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := f.conns.Load(); n > 1+8 {
		t.Errorf("8 callers at once opened %d connections in all, want at most 9", n)
	}
}

func TestServerClosingEveryConnection(t *testing.T) {
	c, f := fakeCounted(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		versionAnswer(w, r)
	}, storageapi.Options{Attempts: 1})
	for i := range 5 {
		if _, err := c.Version(t.Context()); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if n := f.conns.Load(); n != 5 {
		t.Errorf("5 answers with Connection: close, %d connections; want 5", n)
	}
}

// A pooled connection the server has closed meanwhile is noticed before
// use: the request goes out on a new one, without a retry.
func TestPooledConnectionClosedByTheServer(t *testing.T) {
	c, f := fakeCounted(t, versionAnswer, storageapi.Options{Attempts: 1})
	storageapi.SetCheckIdle(c, 0)
	for i := range 3 {
		if _, err := c.Version(t.Context()); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		f.srv.CloseClientConnections()
		time.Sleep(20 * time.Millisecond) // the FIN reaches the client's socket
	}
	if n := f.conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
}

func TestCancelledRequestEndsAtOnce(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var calls atomic.Int32
	c, f := fakeCounted(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		versionAnswer(w, r)
	}, storageapi.Options{Attempts: 1})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Version(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled request: %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled request returned after %v", d)
	}
	if _, err := c.Version(t.Context()); err != nil {
		t.Fatalf("request after the cancelled one: %v", err)
	}
	if n := f.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the cancelled one is not reused)", n)
	}
}

// An error answer longer than the client reads costs its connection, not
// the time to read it all.
func TestLongUnreadAnswerClosesTheConnection(t *testing.T) {
	var calls atomic.Int32
	c, f := fakeCounted(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(strings.Repeat("x", 4<<20)))
			return
		}
		versionAnswer(w, r)
	}, storageapi.Options{Attempts: 1})
	if _, err := c.Version(t.Context()); err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("first request: %v, want the 500", err)
	}
	if _, err := c.Version(t.Context()); err != nil {
		t.Fatalf("second request: %v", err)
	}
	if n := f.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}
