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
	// ReadDir lists the directory at path, in any order.
	ReadDir(path string) ([]DirEntry, error)
	// Read returns the metadata of path (fsmeta.Read).
	Read(path string, opts fsmeta.Options) (fsmeta.Meta, error)
	// Head returns up to n bytes from the start of the regular file at
	// path; it must not block on a FIFO or device.
	Head(path string, n int) ([]byte, error)
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

// ReadDir opens path with O_NOFOLLOW|O_DIRECTORY and lists it.
func (OS) ReadDir(path string) ([]DirEntry, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	des, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	out := make([]DirEntry, len(des))
	for i, de := range des {
		out[i] = DirEntry{Name: de.Name(), Type: typeOfFileMode(de.Type())}
	}
	return out, nil
}

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
