package entrycache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestLockExcludes(t *testing.T) {
	ctx := context.Background()
	cache := filepath.Join(t.TempDir(), "cache.db")
	unlock, err := Lock(ctx, cache, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(LockPath(cache))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("lock file: %v, mode %v", err, st.Mode())
	}
	_, err = Lock(ctx, cache, 0)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) {
		t.Errorf("error %q does not name the holder", err)
	}
	// A waiting Lock gets it once the holder lets go.
	got := make(chan error, 1)
	go func() {
		u, err := Lock(ctx, cache, -1)
		if err == nil {
			u()
		}
		got <- err
	}()
	unlock()
	unlock() // twice is harmless
	if err := <-got; err != nil {
		t.Errorf("waiting Lock after release: %v", err)
	}
	// A bounded wait on a held lock gives up with ErrLocked.
	unlock, _ = Lock(ctx, cache, 0)
	defer unlock()
	if _, err := Lock(ctx, cache, 50*time.Millisecond); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "waited") {
		t.Errorf("bounded wait: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Lock(cctx, cache, -1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
}

// Across processes: a helper process holds the lock; this one is refused
// at once, and gets it after the holder exits (here by kill -9, which
// leaves the lock file behind: a stale file must not matter).
func TestLockAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	cache := filepath.Join(t.TempDir(), "cache.db")
	cmd, out := startHelper(t, "lock", cache)
	line, err := out.ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	_, err = Lock(ctx, cache, 0)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Lock while another process holds it: %v", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("process %d", cmd.Process.Pid)) {
		t.Errorf("error %q does not name the holding process %d", err, cmd.Process.Pid)
	}
	waited := make(chan error, 1)
	go func() {
		u, err := Lock(ctx, cache, -1)
		if err == nil {
			u()
		}
		waited <- err
	}()
	cmd.Process.Kill()
	cmd.Wait()
	if err := <-waited; err != nil {
		t.Errorf("Lock after the holder died: %v", err)
	}
	if _, err := os.Stat(LockPath(cache)); err != nil {
		t.Errorf("lock file: %v", err)
	}
}

// startHelper runs this test binary as a helper process (see TestMain).
func startHelper(t *testing.T, mode string, args ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, args...)...)
	cmd.Env = append(os.Environ(), "ENTRYCACHE_HELPER="+mode)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewReader(stdout)
}

// LockHeld sees a lock held (by any process, this one included) without
// taking it, and no lock once it is released or when no file exists.
func TestLockHeld(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "cache.db")
	held := func() bool {
		t.Helper()
		h, err := LockHeld(cache)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if held() {
		t.Fatal("held before any lock file exists")
	}
	unlock, err := Lock(context.Background(), cache, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !held() {
		t.Fatal("not held while Lock holds it")
	}
	// Looking did not take it: another Lock is still refused, not granted.
	if _, err := Lock(context.Background(), cache, 0); !errors.Is(err, ErrLocked) {
		t.Fatalf("Lock after LockHeld: %v", err)
	}
	unlock()
	if held() {
		t.Fatal("held after unlock (the stale file must not count)")
	}
}

func TestFlockIn(t *testing.T) {
	table := `1: POSIX  ADVISORY  READ 32482 fe:00:10258594 128 128
2: FLOCK  ADVISORY  WRITE 77 08:01:42 0 EOF
2: -> FLOCK  ADVISORY  WRITE 78 08:01:43 0 EOF
3: FLOCK  ADVISORY  WRITE 79 103:05:44 0 EOF
`
	for _, tc := range []struct {
		maj, min uint32
		ino      uint64
		want     bool
	}{
		{8, 1, 42, true},
		{8, 1, 43, false},          // only a waiter
		{0xfe, 0, 10258594, false}, // a POSIX lock (SQLite's), not ours
		{0x103, 5, 44, true},
		{8, 2, 42, false},
	} {
		got, err := flockIn(strings.NewReader(table), unix.Mkdev(tc.maj, tc.min), tc.ino)
		if err != nil || got != tc.want {
			t.Errorf("%x:%x:%d: %v %v, want %v", tc.maj, tc.min, tc.ino, got, err, tc.want)
		}
	}
}
