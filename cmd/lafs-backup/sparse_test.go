package main

import (
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/internal/needs"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestSparseFileRestoredSparse: on the real grid, a 64 MiB file holding
// 1 MiB of data at its start and at its end is backed up, restored with
// the same bytes and again sparse (a few MiB allocated, its hole a hole),
// and verify --content finds no difference against it nor the source.
func TestSparseFileRestoredSparse(t *testing.T) {
	const mib = 1 << 20
	g := testgrid.Shared(t)
	s := newSite(t, g.URL(), "")
	snap := filepath.Join(s.snaps, "snap.1")
	src := filepath.Join(snap, "disk.img")
	os.MkdirAll(snap, 0o755)
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(64 * mib); err != nil {
		t.Fatal(err)
	}
	f.WriteAt(randomBytes(mib), 0)
	f.WriteAt(randomBytes(mib), 63*mib)
	f.Close()
	if st := allocated(t, src); st >= 8*mib {
		needs.Unmet(t, "the test filesystem does not keep holes (%d bytes allocated)", st)
	}

	if code, _, errOut := s.backup(t); code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, errOut)
	}
	target := filepath.Join(t.TempDir(), "restored")
	if code, _, errOut := runMain(t, "-c", s.config, "restore", "snap.1", target); code != 0 {
		t.Fatalf("restore: exit %d\n%s", code, errOut)
	}
	got := filepath.Join(target, "disk.img")
	if sum(t, got) != sum(t, src) {
		t.Fatal("the restored file's bytes differ from the source's")
	}
	if n := allocated(t, got); n > 4*mib {
		t.Errorf("restored file: %d bytes allocated of 64 MiB, want about 2 MiB (restored dense)", n)
	}
	rf, err := os.Open(got)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	if next, err := unix.Seek(int(rf.Fd()), mib, unix.SEEK_DATA); err != nil || next != 63*mib {
		t.Errorf("restored file: the next data after 1 MiB is at %d (%v), want 63 MiB: the hole was not kept", next, err)
	}
	for _, dir := range []string{target, snap} {
		if code, out, errOut := runMain(t, "-c", s.config, "verify", "snap.1", dir, "--content"); code != 0 || strings.TrimSpace(out) != "" {
			t.Errorf("verify --content against %s: exit %d\n%s%s", dir, code, out, errOut)
		}
	}
}

// allocated is the number of bytes the file has on disk (st_blocks).
func allocated(t *testing.T, path string) int64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}

func sum(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}
