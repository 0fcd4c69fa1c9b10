package fsmeta

import (
	"bytes"
	"errors"
	"sync"

	"golang.org/x/sys/unix"
)

const selinuxXattr = "security.selinux"

var xattrBufs = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

// listXattrs returns the names of path's xattrs, not following symlinks.
// A filesystem without xattr support has none.
func listXattrs(path string) ([]string, error) {
	bp := xattrBufs.Get().(*[]byte)
	defer xattrBufs.Put(bp)
	for {
		n, err := unix.Llistxattr(path, *bp)
		switch {
		case err == nil:
			return splitNames((*bp)[:n]), nil
		case errors.Is(err, unix.ENOTSUP):
			return nil, nil
		case !errors.Is(err, unix.ERANGE):
			return nil, err
		}
		size, err := unix.Llistxattr(path, nil)
		if err != nil {
			return nil, err
		}
		*bp = make([]byte, size+256)
	}
}

func splitNames(b []byte) []string {
	var names []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			i = len(b)
		}
		if i > 0 {
			names = append(names, string(b[:i]))
		}
		b = b[min(i+1, len(b)):]
	}
	return names
}

// getXattr reads one xattr of path, not following symlinks. ok is false
// when the attribute went away after it was listed.
func getXattr(path, name string) (value []byte, ok bool, err error) {
	bp := xattrBufs.Get().(*[]byte)
	defer xattrBufs.Put(bp)
	for {
		n, err := unix.Lgetxattr(path, name, *bp)
		switch {
		case err == nil:
			return bytes.Clone((*bp)[:n]), true, nil
		case errors.Is(err, unix.ENODATA):
			return nil, false, nil
		case !errors.Is(err, unix.ERANGE):
			return nil, false, err
		}
		size, err := unix.Lgetxattr(path, name, nil)
		if err != nil {
			return nil, false, err
		}
		*bp = make([]byte, size+256)
	}
}
