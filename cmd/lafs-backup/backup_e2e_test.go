package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestBackupRestoresWithoutThisTool is the independent restore docs/metadata.md promises: the
// tree is fetched with the tahoe CLI alone (`tahoe cp -r`), files whose
// edge says enc: xz go through the system's `xz -d`, and every file and
// symlink target must equal the source byte for byte.
func TestBackupRestoresWithoutThisTool(t *testing.T) {
	g := testgrid.Shared(t)
	s := newSite(t, g.URL(), "")
	snap := filepath.Join(s.snaps, "snap.1")
	mixedTree(t, snap)
	mustWrite(t, filepath.Join(snap, "docs/big.txt"), bytes.Repeat([]byte("compressible line of text\n"), 40_000))
	code, out, errOut := s.backup(t)
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, errOut)
	}
	root := rootCapOf(t, out)

	dest := filepath.Join(t.TempDir(), "fetched")
	if _, err := g.Tahoe("cp", "-r", root.Secret()+"/snap.1", dest); err != nil {
		t.Fatalf("tahoe cp -r: %v", lafsapi.RedactCaps(err.Error()))
	}
	c := client(t, g.URL())
	compared, decoded := 0, 0
	err := filepath.WalkDir(snap, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(snap, path)
		fetched, err := os.ReadFile(filepath.Join(dest, "snap.1", rel))
		if err != nil {
			out, _ := exec.Command("find", dest).Output()
			t.Errorf("%s: not fetched by tahoe cp: %v\n%s", rel, err, out)
			return nil
		}
		n, err := c.Info(context.Background(), root, append([]string{"snap.1"}, strings.Split(rel, "/")...)...)
		if err != nil {
			return err
		}
		if n.Metadata["enc"] == "xz" {
			decoded++
			cmd := exec.Command("xz", "-d")
			cmd.Stdin = bytes.NewReader(fetched)
			if fetched, err = cmd.Output(); err != nil {
				t.Errorf("%s: xz -d: %v", rel, err)
				return nil
			}
		}
		var want []byte
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			want = []byte(target)
		} else if want, err = os.ReadFile(path); err != nil {
			return err
		}
		if !bytes.Equal(fetched, want) {
			t.Errorf("%s: fetched %d bytes differ from the source's %d", rel, len(fetched), len(want))
		}
		compared++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if compared != 7 || decoded < 2 {
		t.Errorf("compared only %d files, %d of them through xz -d", compared, decoded)
	}
}
