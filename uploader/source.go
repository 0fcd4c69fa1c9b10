package uploader

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// sourceFS is how the uploader reaches the source tree; tests replace it to
// inject unreadable files.
type sourceFS struct {
	lstat    func(path string, st *unix.Stat_t) error
	open     func(path string) (io.ReadCloser, error)
	readlink func(path string) (string, error)
}

var osFS = sourceFS{lstat: unix.Lstat, open: openRegular, readlink: os.Readlink}

// openRegular opens a regular file for reading without following a symlink
// and without blocking on a FIFO that replaced the file since it was
// stat'ed.
func openRegular(path string) (io.ReadCloser, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, errTypeChanged
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, errTypeChanged
	}
	return f, nil
}

var (
	// errChanged: the file's size or mtime changed while it was read.
	errChanged = errors.New("changed while being read")
	// errTypeChanged: the path is no longer of the type phase one saw.
	errTypeChanged = errors.New("changed type since the walk")
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
// rather than unreadable (failed).
func vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, errTypeChanged) || errors.Is(err, syscall.ENOTDIR)
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
