package restore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// dir is an open directory under the target, shared by the walker and the
// jobs writing into it, closed when the last user releases it. Every entry
// is created relative to such a descriptor with a call that does not
// follow a symlink in the final component, and directories are opened with
// O_NOFOLLOW, so nothing restore writes can land outside the target.
type dir struct {
	fd   int
	rel  string // raw path from the restored top; "" for the target itself
	refs atomic.Int32
}

func newDir(fd int, rel string) *dir {
	d := &dir{fd: fd, rel: rel}
	d.refs.Store(1)
	return d
}

func (d *dir) acquire() *dir {
	d.refs.Add(1)
	return d
}

func (d *dir) release() {
	if d.refs.Add(-1) == 0 {
		unix.Close(d.fd)
	}
}

// procPath names name inside d through /proc/self/fd, so that path-based
// calls (fsmeta.Apply, fsmeta.Read) reach d by its descriptor: no
// component before name can be swapped for a symlink. name "." is d
// itself.
func (d *dir) procPath(name string) string {
	return "/proc/self/fd/" + strconv.Itoa(d.fd) + "/" + name
}

// checkProc makes sure /proc/self/fd works (procPath needs it).
func checkProc() error {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		return fmt.Errorf("restore: /proc must be mounted: %w", err)
	}
	return nil
}

// ErrTargetNotEmpty: Target holds entries and Force is not set.
var ErrTargetNotEmpty = errors.New("restore: the target directory is not empty")

const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

// errInTheWay explains why an existing object stops a restore.
var errInTheWay = errors.New("refused: something that is not a directory is in the way")

// openChild opens the directory name inside d without following a symlink.
func openChild(d *dir, name string) (*dir, error) {
	fd, err := unix.Openat(d.fd, name, dirFlags, 0)
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		return nil, errInTheWay
	}
	if err != nil {
		return nil, fmt.Errorf("open directory: %w", err)
	}
	return newDir(fd, joinPath(d.rel, name)), nil
}

// mkdirChild creates (or, if it already is a directory, reuses) the
// directory name inside d, mode 0700 until its metadata is applied.
func mkdirChild(d *dir, name string) (*dir, error) {
	err := unix.Mkdirat(d.fd, name, 0o700)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("mkdir: %w", err)
	}
	return openChild(d, name)
}

// openRel opens the directory rel (a raw relative path) under top, one
// component at a time; components that could leave top ("..", "", ...)
// are refused.
func openRel(top *dir, rel string) (*dir, error) {
	d := top.acquire()
	if rel == "" {
		return d, nil
	}
	for _, comp := range strings.Split(rel, "/") {
		if err := checkName(comp); err != nil {
			d.release()
			return nil, err
		}
		next, err := openChild(d, comp)
		d.release()
		if err != nil {
			return nil, err
		}
		d = next
	}
	d.rel = rel
	return d, nil
}

// create runs mk (which creates name in d without following symlinks and
// fails with EEXIST when something is there). With force, an existing
// non-directory is removed and mk tried once more.
func create(d *dir, name string, force bool, mk func() error) error {
	err := mk()
	if !errors.Is(err, unix.EEXIST) || !force {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("stat existing entry: %w", err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return errors.New("refused: a directory is in the way")
	}
	if err := unix.Unlinkat(d.fd, name, 0); err != nil {
		return fmt.Errorf("remove existing entry: %w", err)
	}
	return mk()
}

// prepareTarget creates target if needed, checks it is empty (unless
// force) and opens it.
func prepareTarget(target string, force bool) (*dir, error) {
	if target == "" {
		return nil, errors.New("restore: no target directory")
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return nil, fmt.Errorf("restore: create target: %w", err)
	}
	fd, err := unix.Open(target, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("restore: open target %q: %w", target, err)
	}
	d := newDir(fd, "")
	if force {
		return d, nil
	}
	empty, err := isEmpty(fd)
	if err != nil || !empty {
		d.release()
		if err == nil {
			err = fmt.Errorf("%w: %q (use --force to restore into it)", ErrTargetNotEmpty, target)
		}
		return nil, err
	}
	return d, nil
}

// isEmpty reports whether the directory fd has no entries.
func isEmpty(fd int) (bool, error) {
	dup, err := unix.Openat(fd, ".", dirFlags, 0)
	if err != nil {
		return false, fmt.Errorf("restore: %w", err)
	}
	f := os.NewFile(uintptr(dup), "target")
	defer f.Close()
	names, err := f.Readdirnames(1)
	switch {
	case errors.Is(err, io.EOF):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("restore: read target: %w", err)
	}
	return len(names) == 0, nil
}

// validRel reports whether every component of rel passes checkName.
func validRel(rel string) bool {
	for _, comp := range strings.Split(rel, "/") {
		if checkName(comp) != nil {
			return false
		}
	}
	return true
}
