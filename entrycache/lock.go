package entrycache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/internal/secretfile"
)

// LockPath is the lock file of the cache at cachePath.
func LockPath(cachePath string) string { return cachePath + ".lock" }

// Lock takes the exclusive lock that serialises the commands which write a
// cache (backup, cleanup): flock(2) on LockPath(cachePath), created 0600
// (an existing file is made 0600 too).
// With wait == 0 it fails at once with an error wrapping ErrLocked when
// another process holds it; with wait > 0 it retries until wait has passed;
// with wait < 0 it retries until ctx ends. The lock dies with the process
// (kill -9 included), so a stale lock file is harmless and never removed.
//
// Readers (list, check, restore, verify) take no lock at all: SQLite's WAL
// lets them read while a backup writes, and a shared flock would make the
// next backup fail with ErrLocked while a long check runs.
//
// unlock releases the lock; calling it more than once is harmless.
func Lock(ctx context.Context, cachePath string, wait time.Duration) (unlock func(), err error) {
	path := LockPath(cachePath)
	f, err := secretfile.OpenFile(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("cache lock: %w", err)
	}
	if err := acquire(ctx, f, wait); err != nil {
		holder := readHolder(f)
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("%w: %s is held%s", err, path, holder)
		}
		return nil, fmt.Errorf("cache lock %s: %w", path, err)
	}
	writeHolder(f)
	var once bool
	return func() {
		if !once {
			once = true
			f.Close() // closing the last descriptor releases the flock
		}
	}, nil
}

func acquire(ctx context.Context, f *os.File, wait time.Duration) error {
	var deadline <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		deadline = t.C
	}
	delay := 10 * time.Millisecond
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			return err
		}
		if wait == 0 {
			return ErrLocked
		}
		select {
		case <-ctx.Done():
			if wait > 0 {
				return fmt.Errorf("%w (gave up waiting: %v)", ErrLocked, ctx.Err())
			}
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("%w (waited %v)", ErrLocked, wait)
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

// writeHolder leaves the holder's PID in the lock file for the operator
// and for a competing process's error message. Best effort.
func writeHolder(f *os.File) {
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
}

func readHolder(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return ""
	}
	return fmt.Sprintf(" by process %d", pid)
}
