// Package secretfile opens files that hold secrets (caps in the entry
// cache and the result file; the paths of a queue; lock files next to
// them) so that they are private to their owner: created 0600, and an
// existing file whose mode lets the group or others in is tightened on
// open, not only on create (docs/operations.md, Private files). A file
// left 0644 by an older version, a restored backup of the cache or a
// careless cp is fixed by the next run that opens it.
package secretfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Mode is the mode private files are created with.
const Mode = 0o600

// OpenFile is os.OpenFile with mode 0600 for a new file, followed by
// Restrict for an existing one.
func OpenFile(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|unix.O_CLOEXEC, Mode)
	if err != nil {
		return nil, err
	}
	if err := Restrict(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Restrict removes the group and other permission bits of the open file
// f when it has any. A file owned by someone else is left alone: this
// process may only read it (a reader of another user's cache), and
// changing it is its owner's business.
func Restrict(f *os.File) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fmt.Errorf("%s: %w", f.Name(), err)
	}
	if !tooOpen(&st) {
		return nil
	}
	if err := unix.Fchmod(int(f.Fd()), st.Mode&0o7700); err != nil {
		return fmt.Errorf("make %s private (chmod go-rwx): %w", f.Name(), err)
	}
	return nil
}

// RestrictPath is Restrict for a file this process does not open itself
// (SQLite's database and side files). A missing file is fine; a symlink
// is not followed and not changed.
func RestrictPath(path string) error {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || !tooOpen(&st) {
		return nil
	}
	// chmod has no descriptor form for O_PATH; the magic link reaches
	// exactly the opened inode.
	if err := unix.Chmod(fmt.Sprintf("/proc/self/fd/%d", fd), st.Mode&0o7700); err != nil {
		return fmt.Errorf("make %s private (chmod go-rwx): %w", path, err)
	}
	return nil
}

// tooOpen says whether st lets the group or others in and belongs to
// this process's user (root may fix anything).
func tooOpen(st *unix.Stat_t) bool {
	euid := uint32(os.Geteuid())
	return st.Mode&0o077 != 0 && (st.Uid == euid || euid == 0)
}
