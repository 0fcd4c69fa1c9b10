package fsmeta

import (
	"bytes"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

const selinuxXattr = "security.selinux"

var xattrBufs = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

// entryAt names an entry relative to a directory descriptor for the
// xattr calls.
type entryAt struct {
	dirfd int
	name  string
}

// atCalls records whether listxattrat/getxattrat (Linux 6.13) work:
// 0 not tried yet, 1 yes, 2 no (older kernel, or a seccomp filter that
// refuses them); then the l*xattr calls take a path instead, through
// /proc/self/fd for a directory descriptor (see path).
var atCalls atomic.Int32

// path names the entry for the path-based calls.
func (e entryAt) path() string {
	if e.dirfd == unix.AT_FDCWD || len(e.name) > 0 && e.name[0] == '/' {
		return e.name
	}
	return "/proc/self/fd/" + strconv.Itoa(e.dirfd) + "/" + e.name
}

// useAt says whether to try the *xattrat calls.
func useAt() bool { return atCalls.Load() != 2 }

// fallBack decides after an *xattrat error whether to retry with the
// path-based call: ENOSYS (an older kernel), or EPERM from a seccomp
// filter that does not know the call (confirmed when the path-based call
// then works, see confirm).
func fallBack(err error) bool {
	if errors.Is(err, unix.ENOSYS) {
		atCalls.Store(2)
		return true
	}
	return errors.Is(err, unix.EPERM) && atCalls.Load() != 1
}

// confirm records which calls work after a successful call.
func confirm(at bool) {
	if at {
		atCalls.CompareAndSwap(0, 1)
	} else {
		atCalls.Store(2)
	}
}

// listXattrs returns the names of the entry's xattrs, not following a
// symlink. A filesystem without xattr support has none.
func (e entryAt) listXattrs() ([]string, error) {
	bp := xattrBufs.Get().(*[]byte)
	defer xattrBufs.Put(bp)
	for {
		n, err := e.list(*bp)
		switch {
		case err == nil:
			return splitNames((*bp)[:n]), nil
		case errors.Is(err, unix.ENOTSUP):
			return nil, nil
		case !errors.Is(err, unix.ERANGE):
			return nil, err
		}
		size, err := e.list(nil)
		if err != nil {
			return nil, err
		}
		*bp = make([]byte, size+256)
	}
}

// list is one listxattrat, or llistxattr when that is unavailable.
func (e entryAt) list(buf []byte) (int, error) {
	if useAt() {
		n, err := listxattratCall(e.dirfd, e.name, buf)
		if err == nil || !fallBack(err) {
			if err == nil {
				confirm(true)
			}
			return n, err
		}
	}
	n, err := unix.Llistxattr(e.path(), buf)
	if err == nil && atCalls.Load() != 1 {
		confirm(false)
	}
	return n, err
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

// getXattr reads one xattr of the entry, not following a symlink. ok is
// false when the attribute went away after it was listed.
func (e entryAt) getXattr(name string) (value []byte, ok bool, err error) {
	bp := xattrBufs.Get().(*[]byte)
	defer xattrBufs.Put(bp)
	for {
		n, err := e.get(name, *bp)
		switch {
		case err == nil:
			return bytes.Clone((*bp)[:n]), true, nil
		case errors.Is(err, unix.ENODATA):
			return nil, false, nil
		case !errors.Is(err, unix.ERANGE):
			return nil, false, err
		}
		size, err := e.get(name, nil)
		if err != nil {
			return nil, false, err
		}
		*bp = make([]byte, size+256)
	}
}

// get is one getxattrat, or lgetxattr when that is unavailable.
func (e entryAt) get(name string, buf []byte) (int, error) {
	if useAt() {
		n, err := getxattrat(e.dirfd, e.name, name, buf)
		if err == nil || !fallBack(err) {
			if err == nil {
				confirm(true)
			}
			return n, err
		}
	}
	n, err := unix.Lgetxattr(e.path(), name, buf)
	if err == nil && atCalls.Load() != 1 {
		confirm(false)
	}
	return n, err
}

// listxattratCall is listxattrat; tests replace it to play an older kernel.
var listxattratCall = listxattrat

// listxattrat(dirfd, path, AT_SYMLINK_NOFOLLOW, list, size), Linux 6.13.
func listxattrat(dirfd int, path string, buf []byte) (int, error) {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return 0, err
	}
	var b unsafe.Pointer
	if len(buf) > 0 {
		b = unsafe.Pointer(&buf[0])
	}
	n, _, errno := unix.Syscall6(unix.SYS_LISTXATTRAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
		unix.AT_SYMLINK_NOFOLLOW, uintptr(b), uintptr(len(buf)), 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// xattrArgs is the kernel's struct xattr_args for getxattrat.
type xattrArgs struct {
	value uint64
	size  uint32
	flags uint32
}

// getxattrat(dirfd, path, AT_SYMLINK_NOFOLLOW, name, &args, sizeof args),
// Linux 6.13.
func getxattrat(dirfd int, path, name string, buf []byte) (int, error) {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return 0, err
	}
	nm, err := unix.BytePtrFromString(name)
	if err != nil {
		return 0, err
	}
	args := xattrArgs{size: uint32(len(buf))}
	if len(buf) > 0 {
		args.value = uint64(uintptr(unsafe.Pointer(&buf[0])))
	}
	n, _, errno := unix.Syscall6(unix.SYS_GETXATTRAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
		unix.AT_SYMLINK_NOFOLLOW, uintptr(unsafe.Pointer(nm)), uintptr(unsafe.Pointer(&args)), unsafe.Sizeof(args))
	runtime.KeepAlive(buf)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
