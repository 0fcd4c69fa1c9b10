package entrycache

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// LockHeld reports whether some process holds the lock of the cache at
// cachePath right now, without taking it: Lock would make a backup that
// starts at the same moment fail with ErrLocked. It reads the kernel's
// table of file locks (/proc/locks) and looks for a flock on the lock
// file's device and inode. list uses it to tell a live run from a killed
// one (docs/cache.md, Runs).
func LockHeld(cachePath string) (bool, error) {
	var st unix.Stat_t
	if err := unix.Stat(LockPath(cachePath), &st); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("cache lock: %w", err)
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return false, fmt.Errorf("cache lock: %w", err)
	}
	defer f.Close()
	return flockIn(f, st.Dev, st.Ino)
}

// flockIn says whether the /proc/locks text r lists a granted FLOCK on
// (dev, ino). Lines look like
//
//	3: FLOCK  ADVISORY  WRITE 32482 fe:00:10258591 0 EOF
//
// with major:minor in hex; waiters are marked "->" and do not count.
func flockIn(r io.Reader, dev, ino uint64) (bool, error) {
	want := fmt.Sprintf("%02x:%02x:%d", unix.Major(dev), unix.Minor(dev), ino)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 6 && f[1] == "FLOCK" && f[5] == want {
			return true, nil
		}
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("cache lock: /proc/locks: %w", err)
	}
	return false, nil
}
