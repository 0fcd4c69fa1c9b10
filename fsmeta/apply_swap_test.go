package fsmeta

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestApplyDoesNotFollowASwappedPath: a path replaced by a symlink after
// Apply checked its type (a hostile user racing a restore) must not pass
// chmod, xattrs or times on to the link's target: they land on the inode
// Apply opened (issue 14, item 8).
func TestApplyDoesNotFollowASwappedPath(t *testing.T) {
	dir := t.TempDir()
	path, secret, moved := filepath.Join(dir, "f"), filepath.Join(dir, "secret"), filepath.Join(dir, "moved")
	for _, p := range []string{path, secret} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var before unix.Stat_t
	if err := unix.Stat(secret, &before); err != nil {
		t.Fatal(err)
	}
	testHookChecked = func(string) {
		if err := os.Rename(path, moved); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(secret, path); err != nil {
			t.Fatal(err)
		}
	}
	defer func() { testHookChecked = nil }()
	m := Meta{Type: TypeFile, Mode: unix.S_IFREG | 0o4755, MtimeNs: 1_700_000_000_000_000_000,
		Xattrs: map[string][]byte{"user.origin": []byte("restore")}}
	if err := Apply(path, m, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	var after unix.Stat_t
	if err := unix.Stat(secret, &after); err != nil {
		t.Fatal(err)
	}
	if after.Mode != before.Mode || after.Mtim != before.Mtim {
		t.Errorf("the symlink's target changed: mode %o -> %o, mtime %v -> %v", before.Mode, after.Mode, before.Mtim, after.Mtim)
	}
	if _, err := unix.Getxattr(secret, "user.origin", nil); err == nil {
		t.Error("the symlink's target got the xattr")
	}
	var got unix.Stat_t
	if err := unix.Stat(moved, &got); err != nil || got.Mode != m.Mode || got.Mtim.Nano() != m.MtimeNs {
		t.Errorf("the file Apply opened: mode %o mtime %d (%v), want %o %d", got.Mode, got.Mtim.Nano(), err, m.Mode, m.MtimeNs)
	}
}
