package fsmeta

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// roundTrip reads src, applies it onto dst and checks that dst then reads
// the same, apart from the inode.
func roundTrip(t *testing.T, src, dst string, o ApplyOptions) Meta {
	t.Helper()
	want, err := Read(src, Options{Xattrs: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(dst, want, o); err != nil {
		t.Fatalf("Apply(%s): %v", dst, err)
	}
	got, err := Read(dst, Options{Xattrs: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(want, got, DiffOptions{Xattrs: true}); d != nil {
		t.Errorf("%s after Apply differs from %s: %q", dst, src, d)
	}
	return got
}

func setMtime(t *testing.T, path string, ns int64) {
	t.Helper()
	ts := []unix.Timespec{unix.NsecToTimespec(ns), unix.NsecToTimespec(ns)}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		t.Fatal(err)
	}
}

func chownMod(t *testing.T, path string, uid, gid int, mode uint32) {
	t.Helper()
	if err := unix.Lchown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := unix.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestApplySetuidFileWithCapsAndACL(t *testing.T) {
	needRootTools(t, "setcap", "setfacl", "setfattr")
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	touch(t, src)
	touch(t, dst)
	chownMod(t, src, 1000, 50, 0o6755)
	run(t, "setfacl", "-m", "u:1001:rwx,g:60:r", src)
	run(t, "setcap", "cap_net_admin,cap_net_raw=ep", src)
	run(t, "setfattr", "-n", "user.comment", "-v", "kept", src)
	run(t, "setfattr", "-n", "trusted.t", "-v", "0x0001", src)
	setMtime(t, src, 1_600_000_000_987_654_321)
	m, _ := Read(src, Options{})
	if m.Mode != 0o106775 || m.Caps != "cap_net_admin,cap_net_raw=ep" || len(m.ACL) != 6 {
		t.Fatalf("setup: %+v", m)
	}
	got := roundTrip(t, src, dst, ApplyOptions{Owner: true})
	if got.Caps == "" || got.Mode&0o6000 != 0o6000 {
		t.Errorf("caps or setuid/setgid lost: %+v", got)
	}
}

func TestApplySetgidDirWithDefaultACL(t *testing.T) {
	needRootTools(t, "setfacl")
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	for _, d := range []string{src, dst} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	chownMod(t, src, 1000, 50, 0o3770)
	run(t, "setfacl", "-m", "g:60:rwx", "-d", "-m", "u::rwx,u:1000:rwx,g::rwx,g:50:rx,o::-", src)
	setMtime(t, src, 1_500_000_000_000_000_001)
	got := roundTrip(t, src, dst, ApplyOptions{Owner: true})
	if got.Mode != unix.S_IFDIR|0o3770 || !strings.Contains(strings.Join(got.ACL, ","), "d:g:50:r-x") {
		t.Errorf("restored dir: %+v", got)
	}
}

// TestApplyRemovesInheritedACL restores a file without ACL into a
// directory whose default ACL the new file inherited.
func TestApplyRemovesInheritedACL(t *testing.T) {
	needRootTools(t, "setfacl")
	dir := t.TempDir()
	run(t, "setfacl", "-d", "-m", "u:1000:rwx", dir)
	src := filepath.Join(t.TempDir(), "src")
	touch(t, src)
	chownMod(t, src, 0, 0, 0o640)
	dst, sub := filepath.Join(dir, "dst"), filepath.Join(dir, "sub")
	touch(t, dst)
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if m, _ := Read(dst, Options{}); m.ACL == nil {
		t.Fatal("setup: dst did not inherit an ACL")
	}
	roundTrip(t, src, dst, ApplyOptions{Owner: true})
	srcDir := t.TempDir()
	roundTrip(t, srcDir, sub, ApplyOptions{Owner: true})
}

func TestApplySymlinkNeverTouchesTarget(t *testing.T) {
	needRootTools(t, "setfattr")
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	touch(t, target)
	chownMod(t, target, 0, 0, 0o600)
	setMtime(t, target, 1_000_000_000_000_000_000)
	before, _ := Read(target, Options{Xattrs: true})

	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	for _, l := range []string{src, dst} {
		if err := os.Symlink("target", l); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Lchown(src, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	run(t, "setfattr", "-h", "-n", "trusted.l", "-v", "1", src)
	setMtime(t, src, 1_234_567_890_000_000_007)
	m := roundTrip(t, src, dst, ApplyOptions{Owner: true})
	// Even metadata that would make no sense for a symlink is not applied
	// through it.
	m.Mode, m.Caps = 0o120000|0o4777, "cap_chown=ep"
	m.ACL = []string{"u::rwx", "u:5:rwx", "g::rwx", "m::rwx", "o::rwx"}
	if err := Apply(dst, m, ApplyOptions{Owner: true}); err != nil {
		t.Fatal(err)
	}
	after, _ := Read(target, Options{Xattrs: true})
	if d := Diff(before, after, DiffOptions{Xattrs: true}); d != nil {
		t.Errorf("target changed: %q", d)
	}
}

func TestApplyFIFO(t *testing.T) {
	needRootTools(t)
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	for _, p := range []string{src, dst} {
		if err := unix.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	chownMod(t, src, 7, 8, 0o1640)
	setMtime(t, src, 1_111_111_111_111_111_111)
	roundTrip(t, src, dst, ApplyOptions{Owner: true})
}

func TestApplyNamesAndErrors(t *testing.T) {
	needRootTools(t)
	r := testResolver(t)
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	touch(t, f)
	m := Meta{Type: TypeFile, Mode: 0o100750, ACL: []string{"u::rwx", "u:alice:rwx", "g::r-x", "g:staff:r--", "m::rwx", "o::---"}}
	if err := Apply(f, m, ApplyOptions{Resolver: r}); err != nil {
		t.Fatal(err)
	}
	got, _ := Read(f, Options{})
	if want := "u::rwx,u:1000:rwx,g::r-x,g:50:r--,m::rwx,o::---"; got.ACLText() != want || got.Mode != 0o100770 {
		t.Errorf("ACL with names: %q mode %o; want %q mode 100770", got.ACLText(), got.Mode, want)
	}

	bad := m
	bad.ACL = []string{"u::rwx", "u:nosuchuser:rwx", "g::r-x", "m::rwx", "o::---"}
	bad.Mode = 0o100700
	err := Apply(f, bad, ApplyOptions{Resolver: r})
	if !errors.Is(err, ErrUnknownName) || !strings.Contains(err.Error(), `"u:nosuchuser:rwx"`) {
		t.Errorf("unknown name: err = %v", err)
	}
	if after, _ := Read(f, Options{}); after.Mode != got.Mode {
		t.Errorf("a failed Apply changed the mode: %o", after.Mode)
	}
	if err := Apply(f, Meta{Type: TypeFile, Caps: "cap_bogus=ep"}, ApplyOptions{}); !errors.Is(err, ErrBadCaps) {
		t.Errorf("bad caps: err = %v", err)
	}
	if err := Apply(f, Meta{Type: TypeDir}, ApplyOptions{}); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("type mismatch: err = %v", err)
	}
	if err := Apply(f, Meta{Type: TypeFile, ACL: []string{"d:u::rwx", "d:g::rwx", "d:o::rwx"}}, ApplyOptions{}); err == nil {
		t.Error("default ACL on a file: no error")
	}
	if err := Apply(filepath.Join(dir, "missing"), m, ApplyOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: err = %v", err)
	}
}

func TestApplyWithoutOwnerKeepsOwner(t *testing.T) {
	needRootTools(t)
	f := filepath.Join(t.TempDir(), "f")
	touch(t, f)
	if err := Apply(f, Meta{Type: TypeFile, UID: 1000, GID: 1000, Mode: 0o100600}, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if m, _ := Read(f, Options{}); m.UID != 0 || m.Mode != 0o100600 {
		t.Errorf("after Apply without Owner: %+v", m)
	}
}
