package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestSwappedDirectoryIsNotFollowed: a user who replaces one of their
// directories by a symlink to a directory they cannot read, between the
// walk and the upload, must not get its content into the backup under
// their own owner and mode (issue 14, item 7). The file standing in for
// /etc/shadow lies outside the source; phase one saw the user's own file
// at the same path. Phase two opens every directory relative to its
// parent with O_NOFOLLOW and compares the inode with the queue's, so the
// entries below the symlink are skipped with a warning naming them, and
// the run is partial. Before, phase two opened home/mallory/notes/... by
// its absolute path, followed the symlink, and uploaded the foreign file.
func TestSwappedDirectoryIsNotFollowed(t *testing.T) {
	g := testgrid.Shared(t)
	s := newSite(t, g.URL(), "")
	snap := filepath.Join(s.snaps, "snap.1")
	notes := filepath.Join(snap, "home/mallory/notes")
	mine := bytes.Repeat([]byte("mallory's own notes, nothing secret. "), 10)
	mustWrite(t, filepath.Join(notes, "shadow"), mine)
	mustWrite(t, filepath.Join(notes, "tiny"), []byte("mallory's\n"))
	mustWrite(t, filepath.Join(snap, "home/mallory/todo"), []byte("unrelated, stays in the backup\n"))
	for _, p := range []string{filepath.Join(snap, "home/mallory"), notes, filepath.Join(notes, "shadow"), filepath.Join(notes, "tiny")} {
		if err := os.Lchown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	secret := []byte("root:$6$not-for-mallory$0123456789abcdef0123456789abcdef:19000:0:99999:7:::\n")
	etc := filepath.Join(s.dir, "etc")
	mustWrite(t, filepath.Join(etc, "shadow"), secret)
	mustWrite(t, filepath.Join(etc, "tiny"), []byte("root-only\n"))
	for _, p := range []string{filepath.Join(etc, "shadow"), filepath.Join(etc, "tiny")} {
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if code, _, errOut := s.backup(t, "--queue-only"); code != 0 {
		t.Fatalf("queue-only: exit %d\n%s", code, errOut)
	}
	// Between the phases: mallory moves her directory away and puts a
	// symlink to the foreign one in its place.
	if err := os.Rename(notes, notes+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(etc, notes); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := s.backup(t, "--reuse-queue")
	if code != exitPartial {
		t.Fatalf("exit %d, want %d (partial)\n%s", code, exitPartial, errOut)
	}
	rootCapOf(t, out)
	for _, p := range []string{"home/mallory/notes/shadow", "home/mallory/notes/tiny"} {
		if !strings.Contains(errOut, p) || !strings.Contains(errOut, "replaced since the walk") {
			t.Errorf("no warning naming %s as replaced since the walk in\n%s", p, errOut)
		}
	}

	target := filepath.Join(t.TempDir(), "restored")
	if code, out, errOut := runMain(t, "-c", s.config, "restore", "snap.1", target); code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(target, "home/mallory/todo")); err != nil {
		t.Errorf("the rest of the tree is missing: %v", err)
	}
	err := filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("not-for-mallory")) || bytes.Contains(data, []byte("root-only")) {
			t.Errorf("restored %s holds the foreign file's content", strings.TrimPrefix(p, target))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
