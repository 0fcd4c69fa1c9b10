package fsmeta

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/internal/needs"
)

// withPathCalls runs f as on a kernel without listxattrat/getxattrat:
// the xattr calls go through /proc/self/fd paths.
func withPathCalls(t *testing.T, f func()) {
	t.Helper()
	old := atCalls.Load()
	atCalls.Store(2)
	defer atCalls.Store(old)
	f()
}

// aclCapsTree makes entries with ACLs, caps, xattrs and a symlink
// carrying an xattr of its own, and returns their names.
func aclCapsTree(t *testing.T, dir string) []string {
	t.Helper()
	touch(t, filepath.Join(dir, "plain"))
	touch(t, filepath.Join(dir, "bin"))
	run(t, "setcap", "cap_net_raw=ep", filepath.Join(dir, "bin"))
	run(t, "setfattr", "-n", "user.note", "-v", "hi", filepath.Join(dir, "bin"))
	touch(t, filepath.Join(dir, "acl"))
	run(t, "setfacl", "-m", "u:1000:rwx,g:50:r", filepath.Join(dir, "acl"))
	if err := os.Mkdir(filepath.Join(dir, "dacl"), 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "setfacl", "-d", "-m", "u:1000:rx", filepath.Join(dir, "dacl"))
	if err := os.Symlink("bin", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	run(t, "setfattr", "-h", "-n", "trusted.link", "-v", "x", filepath.Join(dir, "link"))
	if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "setfacl", "-m", "u:7:r", filepath.Join(dir, "fifo"))
	return []string{"plain", "bin", "acl", "dacl", "link", "fifo"}
}

// TestReadAtMatchesRead: relative to a directory descriptor, with the
// *xattrat calls or the /proc paths, ReadAt gives what Read gives for the
// path, ACLs, caps and xattrs included.
func TestReadAtMatchesRead(t *testing.T) {
	needRootTools(t, "setfacl", "setcap", "setfattr")
	dir := t.TempDir()
	names := aclCapsTree(t, dir)
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for _, opts := range []Options{{}, {Xattrs: true}} {
		for _, name := range names {
			want, err := Read(filepath.Join(dir, name), opts)
			if err != nil {
				t.Fatal(err)
			}
			if name != "plain" && name != "link" && want.ACL == nil && want.Caps == "" {
				t.Fatalf("%s: Read found no ACL or caps: the tree is not what the test needs", name)
			}
			got, err := ReadAt(fd, name, opts)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("ReadAt(%s, %+v) = %+v, %v; Read = %+v", name, opts, got, err, want)
			}
			withPathCalls(t, func() {
				got, err := ReadAt(fd, name, opts)
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("ReadAt(%s, %+v) through /proc = %+v, %v; Read = %+v", name, opts, got, err, want)
				}
			})
		}
	}
}

// TestReadAtFollowsTheDescriptor: a directory moved after it was opened
// is still read through its descriptor, and a directory swapped for a
// symlink under the old name does not redirect ReadAt (it would
// redirect a path).
func TestReadAtFollowsTheDescriptor(t *testing.T) {
	needRootTools(t, "setfacl", "setcap", "setfattr")
	base := t.TempDir()
	dir := filepath.Join(base, "d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	aclCapsTree(t, dir)
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	want, err := Read(filepath.Join(dir, "acl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(dir, filepath.Join(base, "moved")); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(base, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	touch(t, filepath.Join(other, "acl"))
	if err := os.Symlink("other", dir); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"at calls", "proc paths"} {
		read := func() {
			got, err := ReadAt(fd, "acl", Options{})
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: ReadAt after the move = %+v, %v; want %+v", mode, got, err, want)
			}
		}
		if mode == "at calls" {
			read()
		} else {
			withPathCalls(t, read)
		}
	}
}

// TestReadAtErrors: a missing name is an error naming it, whatever
// calls are used.
func TestReadAtErrors(t *testing.T) {
	dir := t.TempDir()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	check := func() {
		_, err := ReadAt(fd, "missing", Options{})
		if !errors.Is(err, unix.ENOENT) || !strings.Contains(err.Error(), `"missing"`) {
			t.Errorf("ReadAt(missing) = %v, want ENOENT naming it", err)
		}
	}
	check()
	withPathCalls(t, check)
}

// TestXattrAtFallback: ENOSYS from listxattrat (a kernel before 6.13)
// or EPERM (a seccomp filter that does not know it) switches to the
// path-based calls for good; EPERM once the at calls were seen working
// is a real error.
func TestXattrAtFallback(t *testing.T) {
	dir := t.TempDir()
	touch(t, filepath.Join(dir, "f"))
	if err := unix.Setxattr(filepath.Join(dir, "f"), "user.x", []byte("v"), 0); err != nil {
		needs.Unmet(t, "no user xattrs here: %v", err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	old, oldCall := atCalls.Load(), listxattratCall
	defer func() { atCalls.Store(old); listxattratCall = oldCall }()
	for _, c := range []struct {
		name      string
		start     int32
		errno     unix.Errno
		wantErr   bool
		wantState int32
	}{
		{"ENOSYS", 0, unix.ENOSYS, false, 2},
		{"EPERM before any success", 0, unix.EPERM, false, 2},
		{"EPERM after a success", 1, unix.EPERM, true, 1},
		{"EACCES", 0, unix.EACCES, true, 0},
	} {
		atCalls.Store(c.start)
		calls := 0
		listxattratCall = func(int, string, []byte) (int, error) { calls++; return 0, c.errno }
		m, err := ReadAt(fd, "f", Options{Xattrs: true})
		if c.wantErr != (err != nil) || !c.wantErr && string(m.Xattrs["user.x"]) != "v" {
			t.Errorf("%s: ReadAt = %v, %v", c.name, m.Xattrs, err)
		}
		if atCalls.Load() != c.wantState || calls != 1 {
			t.Errorf("%s: state %d after %d at calls, want %d after 1", c.name, atCalls.Load(), calls, c.wantState)
		}
		if c.wantState == 2 {
			if _, err := ReadAt(fd, "f", Options{}); err != nil || calls != 1 {
				t.Errorf("%s: the next ReadAt tried the at call again (%d calls, %v)", c.name, calls, err)
			}
		}
	}
}
