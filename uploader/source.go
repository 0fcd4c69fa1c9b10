package uploader

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// entryAt names a source entry for the system calls: the descriptor of
// its directory (opened from the source root one component at a time,
// never following a symlink: dirFD), its name there, and its path
// relative to the root (for tests). No path of the source is resolved
// from the root again for each entry (docs/uploader.md, Reading the
// source).
type entryAt struct {
	dirfd int
	name  string
	rel   string
}

// sourceFS is how the uploader reaches the source tree; tests replace it
// to inject unreadable files. open opens a regular file and refuses
// anything that is not the inode want describes (dev, ino).
type sourceFS struct {
	lstat    func(e entryAt, st *unix.Stat_t) error
	open     func(e entryAt, want *unix.Stat_t) (io.ReadCloser, error)
	readlink func(e entryAt) (string, error)
}

var osFS = sourceFS{lstat: lstatAt, open: openRegular, readlink: readlinkAt}

func lstatAt(e entryAt, st *unix.Stat_t) error {
	return unix.Fstatat(e.dirfd, e.name, st, unix.AT_SYMLINK_NOFOLLOW)
}

func readlinkAt(e entryAt) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(e.dirfd, e.name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// openRegular opens a regular file for reading without following a
// symlink and without blocking on a FIFO that replaced the file since it
// was stat'ed, and checks that it opened the inode that was stat'ed.
func openRegular(e entryAt, want *unix.Stat_t) (io.ReadCloser, error) {
	fd, err := unix.Openat(e.dirfd, e.name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, errTypeChanged
		}
		return nil, &fs.PathError{Op: "open", Path: e.name, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "fstat", Path: e.name, Err: err}
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		err = errTypeChanged
	case st.Dev != want.Dev || st.Ino != want.Ino:
		err = errReplaced
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), e.name), nil
}

// dirFlags open a source directory: never a symlink in its place.
const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

// openSourceDir opens the directory rel below root: root itself as given
// (a symlink given as the source is followed, as phase one follows it),
// then each component relative to the one before with O_NOFOLLOW, as the
// walk opened them. A component that is no longer a directory (a symlink
// put there since the walk, or a file) is errAncestorReplaced.
func openSourceDir(root, rel string) (int, error) {
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open the source root: %w", err)
	}
	if rel == "" {
		return fd, nil
	}
	for c := range strings.SplitSeq(rel, "/") {
		next, err := unix.Openat(fd, c, dirFlags, 0)
		unix.Close(fd)
		if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENOTDIR) {
			return -1, errAncestorReplaced
		}
		if err != nil {
			return -1, fmt.Errorf("open directory: %w", err)
		}
		fd = next
	}
	return fd, nil
}

// srcDir is the descriptor of one source directory while its entries are
// read: opened by the first worker that needs it, closed when the
// directory is built (all its children are done) or the run ends.
type srcDir struct {
	mu     sync.Mutex
	opened bool
	fd     int
	err    error
}

// openDirs is the set of srcDirs holding a descriptor, for the end of a
// run. At most one per directory with unfinished children: no more than
// Options.Window.
type openDirs struct {
	mu   sync.Mutex
	open map[*srcDir]struct{}
}

// get returns the directory's descriptor, opening rel below root on the
// first call; an error is remembered, so every entry of a directory that
// cannot be opened reports the same reason.
func (o *openDirs) get(d *srcDir, root, rel string) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.opened {
		d.opened = true
		d.fd, d.err = openSourceDir(root, rel)
		if d.err == nil {
			o.mu.Lock()
			o.open[d] = struct{}{}
			o.mu.Unlock()
		}
	}
	return d.fd, d.err
}

// release closes the directory's descriptor, if it was opened.
func (o *openDirs) release(d *srcDir) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.opened && d.err == nil {
		unix.Close(d.fd)
		d.err = errors.New("internal error: directory used after it was built")
		o.mu.Lock()
		delete(o.open, d)
		o.mu.Unlock()
	}
}

// closeAll closes what is still open (a run that ended early).
func (o *openDirs) closeAll() {
	o.mu.Lock()
	ds := make([]*srcDir, 0, len(o.open))
	for d := range o.open {
		ds = append(ds, d)
	}
	o.mu.Unlock()
	for _, d := range ds {
		o.release(d)
	}
}

// devMap pairs the device numbers the queue recorded with those phase two
// sees: the first entry seen of each recorded device fixes its number, so
// a remount that renumbered devices between a reused queue's walk and
// now does not make every file look replaced, while an entry on another
// device than its recorded neighbours still does (docs/uploader.md).
type devMap struct {
	mu sync.Mutex
	m  map[uint64]uint64
}

func (d *devMap) same(recorded, live uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.m[recorded]; ok {
		return v == live
	}
	if d.m == nil {
		d.m = map[uint64]uint64{}
	}
	d.m[recorded] = live
	return true
}

var (
	// errChanged: the file's size or mtime changed while it was read.
	errChanged = errors.New("changed while being read")
	// errTypeChanged: the path is no longer of the type phase one saw.
	errTypeChanged = errors.New("changed type since the walk")
	// errReplaced: another inode than the one phase one saw is at the
	// path (its device and inode numbers differ).
	errReplaced = errors.New("replaced by another file since the walk")
	// errAncestorReplaced: a directory on the path is no longer a
	// directory (a symlink, or a file, took its place since the walk).
	errAncestorReplaced = errors.New("a directory on its path was replaced since the walk")
)

// sourceError marks an error that came from the source tree (open, read),
// as opposed to the grid or the cache. Such errors skip one entry; the
// others end the run.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// reason is the text of a source error without the absolute path that
// *fs.PathError carries (messages name the escaped relative path instead).
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// vanished says whether a source error means the entry is gone (skipped)
// rather than unreadable (failed). An entry replaced since the walk is
// gone: what is there now is not what phase one recorded.
func vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, errTypeChanged) || errors.Is(err, syscall.ENOTDIR) ||
		errors.Is(err, errReplaced) || errors.Is(err, errAncestorReplaced)
}

// readState is shared by the readers of one upload attempt: it counts bytes
// and remembers the first source error, so the cause of a failed PutFile
// is known even if the grid adapter loses the error chain.
type readState struct {
	in, out atomic.Int64
	errv    atomic.Value // error
	stats   *counters
}

func (s *readState) fail(err error) error {
	s.errv.CompareAndSwap(nil, errBox{err})
	return err
}

func (s *readState) err() error {
	if b, ok := s.errv.Load().(errBox); ok {
		return b.err
	}
	return nil
}

type errBox struct{ err error }

// fileReader reads a source file, counting bytes into st. With limit >= 0 it
// yields exactly limit bytes: a file that ends early fails with errChanged,
// and bytes past limit are not read (growth shows in the stat after).
type fileReader struct {
	f     io.ReadCloser
	st    *readState
	limit int64 // remaining, or -1
}

func (r *fileReader) Read(p []byte) (int, error) {
	if r.limit == 0 {
		return 0, io.EOF
	}
	if r.limit > 0 && int64(len(p)) > r.limit {
		p = p[:r.limit]
	}
	n, err := r.f.Read(p)
	r.st.in.Add(int64(n))
	r.st.stats.bytesRead.Add(int64(n))
	if r.limit > 0 {
		r.limit -= int64(n)
	}
	switch {
	case err == io.EOF && r.limit > 0:
		return n, r.st.fail(errChanged)
	case err != nil && err != io.EOF:
		return n, r.st.fail(&sourceError{err})
	}
	return n, err
}

func (r *fileReader) Close() error { return r.f.Close() }

// sentReader counts what is handed to the grid.
type sentReader struct {
	io.ReadCloser
	st *readState
}

func (r *sentReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.st.out.Add(int64(n))
	r.st.stats.bytesSent.Add(int64(n))
	return n, err
}
