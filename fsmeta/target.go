package fsmeta

import (
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// target is the entry Apply changes, held by a descriptor opened with
// O_PATH|O_NOFOLLOW: it is the inode that was at the path when Apply
// began, never what a symlink there points to. Calls that take a path go
// through /proc/self/fd/FD (self), whose magic link resolves to exactly
// that inode; chmod in particular has no descriptor form for O_PATH
// descriptors before fchmodat2. A symlink itself is changed with calls
// that never follow (fchownat with AT_EMPTY_PATH, l*xattr,
// utimensat(AT_SYMLINK_NOFOLLOW)) on its path.
type target struct {
	path string // as given, for messages
	fd   int
	self string
	link bool
}

// openTarget opens path without following a final symlink and checks it
// is of type want.
func openTarget(path string, want Type) (*target, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("fsmeta: open %q: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("fsmeta: stat %q: %w", path, err)
	}
	if got := TypeOfMode(st.Mode); got != want {
		unix.Close(fd)
		return nil, fmt.Errorf("fsmeta: apply %q: is a %v, metadata is for a %v", path, got, want)
	}
	return &target{path: path, fd: fd, self: "/proc/self/fd/" + strconv.Itoa(fd), link: want == TypeSymlink}, nil
}

func (t *target) close() { unix.Close(t.fd) }

func (t *target) chown(uid, gid int) error {
	return unix.Fchownat(t.fd, "", uid, gid, unix.AT_EMPTY_PATH)
}

// chmod is never called for a symlink (Apply skips it).
func (t *target) chmod(mode uint32) error {
	if t.link {
		return errors.New("fsmeta: chmod of a symlink")
	}
	return unix.Chmod(t.self, mode)
}

func (t *target) setXattr(name string, value []byte) error {
	if t.link {
		return unix.Lsetxattr(t.path, name, value, 0)
	}
	return unix.Setxattr(t.self, name, value, 0)
}

func (t *target) removeXattr(name string) error {
	if t.link {
		return unix.Lremovexattr(t.path, name)
	}
	return unix.Removexattr(t.self, name)
}

func (t *target) setTimes(ts []unix.Timespec) error {
	if t.link {
		return unix.UtimesNanoAt(unix.AT_FDCWD, t.path, ts, unix.AT_SYMLINK_NOFOLLOW)
	}
	return unix.UtimesNanoAt(unix.AT_FDCWD, t.self, ts, 0)
}

// listXattrs lists the names of the target's xattrs; a filesystem without
// xattr support has none.
func (t *target) listXattrs() ([]string, error) {
	if t.link {
		return entryAt{dirfd: unix.AT_FDCWD, name: t.path}.listXattrs()
	}
	buf := make([]byte, 1024)
	for {
		n, err := unix.Listxattr(t.self, buf)
		switch {
		case err == nil:
			return splitNames(buf[:n]), nil
		case errors.Is(err, unix.ENOTSUP):
			return nil, nil
		case !errors.Is(err, unix.ERANGE):
			return nil, err
		}
		size, err := unix.Listxattr(t.self, nil)
		if err != nil {
			return nil, err
		}
		buf = make([]byte, size+256)
	}
}
