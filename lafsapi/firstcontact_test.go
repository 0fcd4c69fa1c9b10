package lafsapi_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/lafsapi/lafstest"
)

// closedPort returns the address of a port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestNeverReachedGatewayFailsFast: a gateway nothing answers at (wrong
// URL, node not running) is tried three times in about five seconds with
// the default options, not the long schedule (an hour here), and the error
// names the URL, never a cap in it (docs/lafsapi.md, Retries).
func TestNeverReachedGatewayFailsFast(t *testing.T) {
	addr := closedPort(t)
	const secret = "URI:DIR2:aaaaaaaaaaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	c, err := lafsapi.New("http://"+addr+"/gw/"+secret+"/uri", lafsapi.Options{Delays: []time.Duration{time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.NodeStatus(context.Background())
	took := time.Since(start)
	var e *lafsapi.Error
	if !errors.As(err, &e) || !errors.Is(err, lafsapi.ErrUnreachable) || e.Attempts != 3 {
		t.Fatalf("err = %v, want ErrUnreachable after 3 attempts", err)
	}
	if took < 4*time.Second || took > 15*time.Second {
		t.Errorf("gave up after %v, want about 5 s", took)
	}
	msg := err.Error()
	if !strings.Contains(msg, "cannot reach the gateway at http://"+addr+"/gw/") || strings.Contains(msg, "aaaaaaaaaa") ||
		!strings.Contains(msg, "connection refused") {
		t.Errorf("message %q: want the URL (cap redacted) and the cause", msg)
	}
}

// TestFirstContactOnlyBeforeTheGatewayWasReached: the short first-contact
// attempts apply only while no attempt of the client ever connected. A
// gateway that answered once and went away, or one that accepts
// connections and hangs up, gets the configured schedule.
func TestFirstContactOnlyBeforeTheGatewayWasReached(t *testing.T) {
	opts := lafsapi.Options{Attempts: 6, Delays: []time.Duration{time.Millisecond}, QuickRetries: -1,
		FirstContact: []time.Duration{time.Millisecond, time.Millisecond}}
	t.Run("refused from the start", func(t *testing.T) {
		c, err := lafsapi.New("http://"+closedPort(t)+"/", opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.UploadBytes(context.Background(), bytes.Repeat([]byte("q"), 100))
		var e *lafsapi.Error
		if !errors.As(err, &e) || !errors.Is(err, lafsapi.ErrUnreachable) || e.Attempts != 3 {
			t.Fatalf("err = %v, want ErrUnreachable after 1 + 2 first-contact attempts", err)
		}
	})
	t.Run("answered once, then refused", func(t *testing.T) {
		s := lafstest.New(t)
		srv := httptest.NewServer(http.HandlerFunc(s.Store))
		c, err := lafsapi.New(srv.URL+"/", opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.NodeStatus(context.Background()); err != nil {
			t.Fatal(err)
		}
		srv.Close()
		_, err = c.UploadBytes(context.Background(), bytes.Repeat([]byte("q"), 100))
		var e *lafsapi.Error
		if !errors.As(err, &e) || errors.Is(err, lafsapi.ErrUnreachable) || e.Attempts != 6 {
			t.Fatalf("err = %v, want the schedule's 6 attempts, not the first-contact end", err)
		}
	})
	t.Run("connects and hangs up", func(t *testing.T) {
		s := lafstest.New(t)
		s.Fault(lafstest.Any, lafstest.HangUp)
		c := s.Client(t, opts)
		_, err := c.UploadBytes(context.Background(), bytes.Repeat([]byte("q"), 100))
		var e *lafsapi.Error
		if !errors.As(err, &e) || errors.Is(err, lafsapi.ErrUnreachable) || e.Attempts != 6 || len(s.Requests()) != 6 {
			t.Fatalf("err = %v, %d requests: want the schedule's 6 attempts", err, len(s.Requests()))
		}
	})
}
