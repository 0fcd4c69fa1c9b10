package lafsapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/lafsapi/lafstest"
)

// stormReplies answers the first request (NodeStatus) from the store, the
// next fails of them with 503, and every later one from the store again.
func stormReplies(s *lafstest.Server, fails int) http.HandlerFunc {
	r := []http.HandlerFunc{s.Store}
	for range fails {
		r = append(r, lafstest.Status(503, "busy"))
	}
	return lafstest.Replies(append(r, s.Store)...)
}

// TestIsolatedFailuresRetriedQuickly: while the gateway answers other
// requests, a failing request is retried after short waits of its own and
// does not use up the configured schedule (an hour here, as a storm
// would meet [10, 60, 600] seconds), docs/lafsapi.md.
func TestIsolatedFailuresRetriedQuickly(t *testing.T) {
	s := lafstest.New(t)
	s.Fault(lafstest.Any, stormReplies(s, 5))
	c := s.Client(t, lafsapi.Options{Attempts: 2, Delays: []time.Duration{time.Hour}, QuickDelay: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.NodeStatus(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadBytes(ctx, bytes.Repeat([]byte("q"), 100)); err != nil {
		t.Fatalf("upload after 5 isolated failures: %v", err)
	}
	if n := len(s.Requests()); n != 7 {
		t.Fatalf("%d requests, want 1 status + 5 failed + 1 good upload", n)
	}
}

// TestGridFailingUsesSchedule: without any success (never, or not within
// AliveWindow) a failure waits the configured delay.
func TestGridFailingUsesSchedule(t *testing.T) {
	for _, tc := range []struct {
		name     string
		okFirst  bool
		requests int
	}{
		{"no success yet", false, 1},
		{"success too long ago", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := lafstest.New(t)
			fails := lafstest.Status(503, "busy")
			if tc.okFirst {
				fails = stormReplies(s, 1000)
			}
			s.Fault(lafstest.Any, fails)
			c := s.Client(t, lafsapi.Options{Attempts: 4, Delays: []time.Duration{time.Hour},
				QuickDelay: time.Millisecond, AliveWindow: 20 * time.Millisecond})
			if tc.okFirst {
				if _, err := c.NodeStatus(context.Background()); err != nil {
					t.Fatal(err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := c.UploadBytes(ctx, bytes.Repeat([]byte("q"), 100))
			if !errors.Is(err, context.DeadlineExceeded) || len(s.Requests()) != tc.requests {
				t.Fatalf("err=%v requests=%d: want the hour's wait cut short by the deadline after %d",
					err, len(s.Requests()), tc.requests)
			}
		})
	}
}

// TestQuickRetriesRunOut: a request that keeps failing while others
// succeed gets QuickRetries quick retries, then the schedule's attempts.
func TestQuickRetriesRunOut(t *testing.T) {
	s := lafstest.New(t)
	s.Fault(lafstest.Any, stormReplies(s, 1000))
	c := s.Client(t, lafsapi.Options{Attempts: 2, QuickRetries: 3, QuickDelay: time.Millisecond})
	if _, err := c.NodeStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := c.UploadBytes(context.Background(), bytes.Repeat([]byte("q"), 100))
	var e *lafsapi.Error
	if !errors.As(err, &e) || e.Attempts != 5 || e.Status != 503 || len(s.Requests()) != 6 {
		t.Fatalf("err=%v requests=%d, want 1 + 3 quick + 1 scheduled attempts", err, len(s.Requests()))
	}
}

// TestOneAttemptMeansNoRetry: Attempts 1 is no retry, even when isolated.
func TestOneAttemptMeansNoRetry(t *testing.T) {
	s := lafstest.New(t)
	s.Fault(lafstest.Any, stormReplies(s, 1))
	c := s.Client(t, lafsapi.Options{Attempts: 1, QuickDelay: time.Millisecond})
	if _, err := c.NodeStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadBytes(context.Background(), bytes.Repeat([]byte("q"), 100)); err == nil || len(s.Requests()) != 2 {
		t.Fatalf("err=%v requests=%d, want one failed attempt", err, len(s.Requests()))
	}
}

// TestQuickDelayIsShort: the waits of isolated retries double from
// QuickDelay but never exceed the first scheduled delay.
func TestQuickDelayIsShort(t *testing.T) {
	s := lafstest.New(t)
	s.Fault(lafstest.Any, stormReplies(s, 6))
	var logs bytes.Buffer
	c := s.Client(t, lafsapi.Options{Attempts: 2, Delays: []time.Duration{40 * time.Millisecond, time.Hour},
		QuickDelay: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))})
	if _, err := c.NodeStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadBytes(context.Background(), bytes.Repeat([]byte("q"), 100)); err != nil {
		t.Fatal(err)
	}
	var delays []time.Duration
	for _, l := range strings.Split(logs.String(), "\n") {
		if i := strings.Index(l, " delay="); i >= 0 && strings.Contains(l, "isolated=true") {
			d, err := time.ParseDuration(strings.Fields(l[i+7:])[0])
			if err != nil {
				t.Fatal(err)
			}
			delays = append(delays, d)
		}
	}
	if len(delays) != 6 {
		t.Fatalf("%d isolated retries logged, want 6:\n%s", len(delays), logs.String())
	}
	for i, d := range delays {
		ceiling := min(10*time.Millisecond<<i, 40*time.Millisecond)
		if d < ceiling/2 || d > ceiling {
			t.Fatalf("isolated retry %d waited %v, want within [%v, %v]", i+1, d, ceiling/2, ceiling)
		}
	}
}

// TestFailingAloneEndsAfterQuickRetries: a request that keeps failing
// while other requests succeed meanwhile fails on its own after its quick
// retries, without the grid's long waits (an hour here): the storage
// servers refuse this content, they are not down.
func TestFailingAloneEndsAfterQuickRetries(t *testing.T) {
	s := lafstest.New(t)
	s.Fault(lafstest.Op("upload", lafsapi.Cap{}), lafstest.Status(503, "busy"))
	c := s.Client(t, lafsapi.Options{Attempts: 4, Delays: []time.Duration{time.Hour}, QuickRetries: 3, QuickDelay: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.NodeStatus(ctx); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // the rest of the run, succeeding
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				c.NodeStatus(ctx)
			}
		}
	}()
	_, err := c.UploadBytes(ctx, bytes.Repeat([]byte("q"), 100))
	close(stop)
	<-done
	var e *lafsapi.Error
	if !errors.As(err, &e) || e.Attempts != 4 || e.Status != 503 {
		t.Fatalf("err=%v, want a 503 after 1 + 3 quick attempts", err)
	}
}

// TestOutageAfterSuccessGetsTheSchedule: when everything starts failing
// right after a success, the quick retries are used first, then the
// schedule's long waits (a gateway that went down), never a quick end.
func TestOutageAfterSuccessGetsTheSchedule(t *testing.T) {
	s := lafstest.New(t)
	s.Fault(lafstest.Any, stormReplies(s, 1000))
	c := s.Client(t, lafsapi.Options{Attempts: 4, Delays: []time.Duration{time.Hour}, QuickRetries: 2, QuickDelay: time.Millisecond})
	if _, err := c.NodeStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.UploadBytes(ctx, bytes.Repeat([]byte("q"), 100))
	if !errors.Is(err, context.DeadlineExceeded) || len(s.Requests()) != 4 {
		t.Fatalf("err=%v requests=%d: want 1 + 2 quick attempts, then the hour's wait", err, len(s.Requests()))
	}
}

// unhappy is a gateway's 500 for an upload whose server selection failed,
// with the progress report of Tahoe 1.20 (allmydata/immutable/upload.py).
func unhappy(report string) string {
	return "Traceback (most recent call last):\n  File \"upload.py\"\nallmydata.interfaces.UploadUnhappinessError: " +
		"server selection failed for <Tahoe2ServerSelector for upload b'wmamy'>: shares could be placed or found " +
		"on only 0 server(s). We were asked to place shares on at least 3 server(s) such that any 2 of them have " +
		"enough shares to recover the file. (" + report + ")"
}

// TestRefusedContentRecognised: the gateway's own report says whether the
// storage servers refused the content (enough of them reached, none
// failing with an error: the reports below are those a real grid gave for
// content whose shares an abandoned upload holds) or too few were there.
func TestRefusedContentRecognised(t *testing.T) {
	for _, tc := range []struct {
		name    string
		report  string
		refused bool
	}{
		{"every server holds a share", "placed 0 shares out of 4 total (4 homeless), want to place shares on at least 3 servers such that any 2 of them have enough shares to recover the file, sent 4 queries to 4 servers, 0 queries placed some shares, 4 placed none (of which 4 placed none due to the server being full and 0 placed none due to an error)", true},
		{"shares held on the first servers of the ring", "placed 2 shares out of 4 total (2 homeless), want to place shares on at least 3 servers such that any 2 of them have enough shares to recover the file, sent 6 queries to 6 servers, 2 queries placed some shares, 4 placed none (of which 4 placed none due to the server being full and 0 placed none due to an error)", true},
		{"too few servers", "placed 2 shares out of 4 total (2 homeless), want to place shares on at least 3 servers such that any 2 of them have enough shares to recover the file, sent 2 queries to 2 servers, 2 queries placed some shares, 0 placed none (of which 0 placed none due to the server being full and 0 placed none due to an error)", false},
		{"a server failing", "placed 2 shares out of 4 total (2 homeless), want to place shares on at least 3 servers such that any 2 of them have enough shares to recover the file, sent 4 queries to 4 servers, 2 queries placed some shares, 2 placed none (of which 1 placed none due to the server being full and 1 placed none due to an error)", false},
		{"no report", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, c, _ := serve(t, lafsapi.Options{Attempts: 1}, lafstest.Status(500, unhappy(tc.report)))
			_, err := c.UploadBytes(context.Background(), bytes.Repeat([]byte("d"), 100))
			if !errors.Is(err, lafsapi.ErrNotEnoughServers) || errors.Is(err, lafsapi.ErrRefused) != tc.refused || count(f) != 1 {
				t.Fatalf("err=%v: want not enough servers, refused=%v", err, tc.refused)
			}
			if tc.refused && !strings.Contains(err.Error(), "refuse this content for now") {
				t.Errorf("message does not say the servers refuse the content: %v", err)
			}
		})
	}
}

// TestRefusedEndsAfterQuickRetries: refused content gets the quick
// retries even when nothing else succeeded lately (every worker of a run
// may be stuck on refused objects), then the call ends without the
// schedule's long waits (an hour here).
func TestRefusedEndsAfterQuickRetries(t *testing.T) {
	s := lafstest.New(t)
	refused := unhappy("placed 0 shares out of 4 total (4 homeless), want to place shares on at least 3 servers such that any 2 of them have enough shares to recover the file, sent 4 queries to 4 servers, 0 queries placed some shares, 4 placed none (of which 4 placed none due to the server being full and 0 placed none due to an error)")
	s.Fault(lafstest.Op("upload", lafsapi.Cap{}), lafstest.Status(500, refused))
	c := s.Client(t, lafsapi.Options{Attempts: 4, Delays: []time.Duration{time.Hour}, QuickRetries: 3,
		QuickDelay: time.Millisecond, AliveWindow: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.UploadBytes(ctx, bytes.Repeat([]byte("q"), 100))
	var e *lafsapi.Error
	if !errors.As(err, &e) || e.Attempts != 4 || !errors.Is(err, lafsapi.ErrRefused) {
		t.Fatalf("err=%v, want refused after 1 + 3 quick attempts", err)
	}
}
