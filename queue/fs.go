package queue

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// FS is what the walker reads from the filesystem, so tests can inject
// failures. Paths are absolute. No method follows a symlink at the final
// component.
type FS interface {
	// OpenDir opens the directory at path (the source root).
	OpenDir(path string) (Dir, error)
	// Read returns the metadata of path (fsmeta.Read).
	Read(path string, opts fsmeta.Options) (fsmeta.Meta, error)
	// Head returns up to n bytes from the start of the regular file at
	// path; it must not block on a FIFO or device.
	Head(path string, n int) ([]byte, error)
}

// Dir is an open directory: the walker reads its entries relative to it
// and opens its subdirectories through it, so no path is resolved from
// the root again (docs/phase-one.md). Read may be called concurrently.
type Dir interface {
	// List returns the directory's names, in any order.
	List() ([]DirEntry, error)
	// Read returns the metadata of the entry name (fsmeta.ReadAt).
	Read(name string, opts fsmeta.Options) (fsmeta.Meta, error)
	// OpenDir opens the subdirectory name, not following a symlink.
	OpenDir(name string) (Dir, error)
	Close() error
}

// DirEntry is a name in a directory with the type the listing reports
// (0 when the filesystem does not say; the walker then lstats first).
type DirEntry struct {
	Name string
	Type fsmeta.Type
}

// OS is the real filesystem.
type OS struct{}

var _ FS = OS{}

const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

// OpenDir opens path with O_NOFOLLOW|O_DIRECTORY.
func (OS) OpenDir(path string) (Dir, error) {
	fd, err := unix.Open(path, dirFlags, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &osDir{f: os.NewFile(uintptr(fd), path), fd: fd}, nil
}

// osDir is a directory open as a descriptor.
type osDir struct {
	f  *os.File
	fd int
}

// List reads the whole listing (getdents, with d_type).
func (d *osDir) List() ([]DirEntry, error) {
	des, err := d.f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	out := make([]DirEntry, len(des))
	for i, de := range des {
		out[i] = DirEntry{Name: de.Name(), Type: typeOfFileMode(de.Type())}
	}
	return out, nil
}

// Read is fsmeta.ReadAt relative to the directory.
func (d *osDir) Read(name string, opts fsmeta.Options) (fsmeta.Meta, error) {
	return fsmeta.ReadAt(d.fd, name, opts)
}

// OpenDir opens name relative to the directory with O_NOFOLLOW|O_DIRECTORY.
func (d *osDir) OpenDir(name string) (Dir, error) {
	fd, err := unix.Openat(d.fd, name, dirFlags, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &osDir{f: os.NewFile(uintptr(fd), name), fd: fd}, nil
}

func (d *osDir) Close() error { return d.f.Close() }

func typeOfFileMode(m fs.FileMode) fsmeta.Type {
	switch m.Type() {
	case 0:
		return fsmeta.TypeFile
	case fs.ModeDir:
		return fsmeta.TypeDir
	case fs.ModeSymlink:
		return fsmeta.TypeSymlink
	case fs.ModeNamedPipe:
		return fsmeta.TypeFIFO
	case fs.ModeSocket:
		return fsmeta.TypeSocket
	case fs.ModeDevice | fs.ModeCharDevice:
		return fsmeta.TypeCharDev
	case fs.ModeDevice:
		return fsmeta.TypeBlockDev
	}
	return 0
}

// Read is fsmeta.Read.
func (OS) Read(path string, opts fsmeta.Options) (fsmeta.Meta, error) {
	return fsmeta.Read(path, opts)
}

// Head opens path with O_NOFOLLOW|O_NONBLOCK, checks it is a regular
// file, and reads up to n bytes.
func (OS) Head(path string, n int) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:k], nil
}
