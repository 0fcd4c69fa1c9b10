package main

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// openWatch reports which regular files below a root are opened, with
// inotify's IN_OPEN (the walk only stats and lists xattrs by path, so an
// open is phase two reading a file).
type openWatch struct {
	fd    int
	paths map[int32]string // watch descriptor -> path relative to the root
}

func watchOpens(t *testing.T, root string) *openWatch {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Fatalf("inotify: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	w := &openWatch{fd: fd, paths: map[int32]string{}}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		wd, err := unix.InotifyAddWatch(fd, p, unix.IN_OPEN)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		w.paths[int32(wd)] = rel
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// opened returns the files opened since the last call (events are queued
// when the open happens, so all of them are there once the backup ended).
func (w *openWatch) opened(t *testing.T) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(w.fd, buf)
		if errors.Is(err, unix.EAGAIN) {
			return got
		}
		if err != nil {
			t.Fatalf("read inotify events: %v", err)
		}
		for b := buf[:n]; len(b) >= unix.SizeofInotifyEvent; {
			wd := int32(binary.NativeEndian.Uint32(b))
			mask := binary.NativeEndian.Uint32(b[4:])
			size := unix.SizeofInotifyEvent + int(binary.NativeEndian.Uint32(b[12:]))
			if mask&unix.IN_Q_OVERFLOW != 0 {
				t.Fatal("inotify queue overflow")
			}
			if mask&unix.IN_OPEN != 0 {
				got[w.paths[wd]] = true
			}
			b = b[size:]
		}
	}
}
