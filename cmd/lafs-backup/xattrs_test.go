package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/internal/needs"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestBackupKeepsXattrsByDefault: with source.xattrs left at its default
// (true since issue 14, item 12) a user xattr is recorded on the file's
// edge and restored; `source.xattrs: false` keeps the Python tool's
// behaviour of leaving them out.
func TestBackupKeepsXattrsByDefault(t *testing.T) {
	g := testgrid.Shared(t)
	for _, tc := range []struct {
		name string
		kept bool
	}{
		{"default", true},
		{"off", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, g.URL(), "")
			if !tc.kept {
				cfg, _ := os.ReadFile(s.config)
				cfg = bytes.Replace(cfg, []byte("source:\n"), []byte("source:\n  xattrs: false\n"), 1)
				if err := os.WriteFile(s.config, cfg, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			snap := filepath.Join(s.snaps, "snap.1")
			mixedTree(t, snap)
			file := filepath.Join(snap, "etc/app.conf")
			if err := unix.Lsetxattr(file, "user.origin", []byte("scanner"), 0); err != nil {
				needs.Unmet(t, "user xattrs on the temp directory: %v", err)
			}
			code, out, errOut := s.backup(t)
			if code != 0 {
				t.Fatalf("backup: exit %d\n%s", code, errOut)
			}
			info, err := client(t, g.URL()).Info(context.Background(), rootCapOf(t, out), "snap.1", "etc", "app.conf")
			if err != nil {
				t.Fatal(err)
			}
			x, _ := info.Metadata["xattrs"].(map[string]any)
			if got := x["user.origin"]; (got == "c2Nhbm5lcg==") != tc.kept {
				t.Fatalf("edge xattrs %v, want kept=%v", info.Metadata["xattrs"], tc.kept)
			}
			target := filepath.Join(t.TempDir(), "r")
			if code, _, errOut := runMain(t, "-c", s.config, "restore", "snap.1", target); code != 0 {
				t.Fatalf("restore: exit %d\n%s", code, errOut)
			}
			buf := make([]byte, 64)
			n, err := unix.Lgetxattr(filepath.Join(target, "etc/app.conf"), "user.origin", buf)
			if tc.kept && (err != nil || string(buf[:n]) != "scanner") {
				t.Fatalf("restored xattr: %q %v", buf[:max(n, 0)], err)
			}
		})
	}
}
