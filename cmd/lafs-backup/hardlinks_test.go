package main

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/internal/needs"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestHardlinkedSpecialsComeBack: in rsync --link-dest snapshots
// symlinks, FIFOs, sockets and devices are hard links too. They are backed
// up as group members and restored as hard links again, and verify agrees
// with both the source and the restored tree (issue 14, item 1). Before,
// restore refused a hardlink key on anything but a regular file and these
// entries never came back.
func TestHardlinkedSpecialsComeBack(t *testing.T) {
	needs.Root(t, "mknod of a device node")
	g := testgrid.Shared(t)
	s := newSite(t, g.URL(), "")
	snap := filepath.Join(s.snaps, "snap.1")
	mustWrite(t, filepath.Join(snap, "file"), []byte("a regular file, linked as well"))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("../somewhere/far/away", filepath.Join(snap, "link")))
	must(unix.Mkfifo(filepath.Join(snap, "fifo"), 0o640))
	must(unix.Mknod(filepath.Join(snap, "sock"), unix.S_IFSOCK|0o755, 0))
	must(unix.Mknod(filepath.Join(snap, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	os.MkdirAll(filepath.Join(snap, "other"), 0o755)
	pairs := []string{"file", "link", "fifo", "sock", "null"}
	for _, p := range pairs {
		must(os.Link(filepath.Join(snap, p), filepath.Join(snap, "other", p)))
	}
	if code, _, errOut := s.backup(t); code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, errOut)
	}
	target := filepath.Join(t.TempDir(), "restored")
	if code, out, errOut := runMain(t, "-c", s.config, "restore", "snap.1", target); code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	for _, p := range pairs {
		var a, b unix.Stat_t
		must(unix.Lstat(filepath.Join(target, p), &a))
		must(unix.Lstat(filepath.Join(target, "other", p), &b))
		if a.Ino != b.Ino || a.Nlink != 2 || a.Mode != b.Mode {
			t.Errorf("%s: inodes %d and %d, %d links: not restored as one hard-linked entry", p, a.Ino, b.Ino, a.Nlink)
		}
	}
	if got, err := os.Readlink(filepath.Join(target, "other", "link")); err != nil || got != "../somewhere/far/away" {
		t.Errorf("linked symlink target %q, %v", got, err)
	}
	for _, dir := range []string{snap, target} {
		if code, out, errOut := runMain(t, "-c", s.config, "verify", "snap.1", dir, "--content"); code != 0 {
			t.Errorf("verify against %s: exit %d\n%s%s", dir, code, out, errOut)
		}
	}
}
