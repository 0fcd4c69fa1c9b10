package uploader

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// foreignMarker is in every file standing in for one the user cannot
// read (/etc/shadow): it must never reach the grid.
const foreignMarker = "FOREIGN-CONTENT"

// foreignDir writes, outside root, a directory with the same names as
// root's d/ but other content.
func foreignDir(t *testing.T) string {
	t.Helper()
	etc := t.TempDir()
	write(t, etc, "big.dat", []byte(strings.Repeat(foreignMarker+" ", 20)))
	write(t, etc, "tiny", []byte(foreignMarker))
	return etc
}

func swapTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	write(t, root, "d/big.dat", []byte(strings.Repeat("the user's own file ", 7)))
	write(t, root, "d/tiny", []byte("own"))
	write(t, root, "d/e/deeper.dat", []byte(strings.Repeat("deeper, the user's own ", 5)))
	write(t, root, "other.dat", text(300))
	fixDirTimes(t, root)
	return root
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// TestSwappedAncestorIsNotFollowed: what phase one saw below d/ is not
// read through whatever replaced d/ since (issue 14, item 7): a symlink to
// a directory the user cannot read, or another directory with files of
// the same names. Every entry below is skipped as replaced, a warning
// names it, nothing of the foreign files reaches the grid, and the rest
// of the tree is backed up. No descriptor stays open after the run.
func TestSwappedAncestorIsNotFollowed(t *testing.T) {
	for _, tc := range []struct {
		name, why string
		swap      func(t *testing.T, d, etc string)
	}{
		{"symlink", "a directory on its path was replaced", func(t *testing.T, d, etc string) {
			mustDo(t, os.Symlink(etc, d))
		}},
		{"another directory", "replaced by another file", func(t *testing.T, d, etc string) {
			mustDo(t, os.Mkdir(d, 0o755))
			mustDo(t, os.Mkdir(filepath.Join(d, "e"), 0o755))
			for _, name := range []string{"big.dat", "tiny"} {
				data, err := os.ReadFile(filepath.Join(etc, name))
				mustDo(t, err)
				write(t, d, name, data)
			}
			write(t, d, "e/deeper.dat", []byte(strings.Repeat(foreignMarker+"!", 20)))
		}},
		{"a file", "a directory on its path was replaced", func(t *testing.T, d, etc string) {
			write(t, filepath.Dir(d), filepath.Base(d), []byte(foreignMarker))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, etc := swapTree(t), foreignDir(t)
			entries := walkTree(t, root)
			d := filepath.Join(root, "d")
			mustDo(t, os.Rename(d, d+".old"))
			tc.swap(t, d, etc)
			before := openFDs(t)
			g := newFakeGrid()
			cap, st, err := newUploader(t, g, newFakeCache(), testOptions(root)).Run(t.Context(), &sliceEntries{es: entries})
			if err != nil {
				t.Fatal(err)
			}
			if n := openFDs(t); n > before {
				t.Errorf("%d descriptors open after the run, %d before", n, before)
			}
			var paths []string
			for _, p := range st.Problems {
				paths = append(paths, p.Path)
				if p.Kind != ProblemSkipped || !strings.Contains(p.Reason, tc.why) {
					t.Errorf("problem %+v, want skipped: %s", p, tc.why)
				}
			}
			sort.Strings(paths)
			if want := []string{"d/big.dat", "d/e/deeper.dat", "d/tiny"}; strings.Join(paths, " ") != strings.Join(want, " ") {
				t.Errorf("problems name %q, want %q", paths, want)
			}
			g.mu.Lock()
			for _, data := range g.files {
				if bytes.Contains(data, []byte(foreignMarker)) {
					t.Error("a foreign file was uploaded")
				}
			}
			g.mu.Unlock()
			top, _ := g.dir(child(t, g, cap, "backup.1").Cap)
			if _, ok := top["other.dat"]; !ok {
				t.Errorf("the rest of the tree is missing: root lists %q", keys(top))
			}
			dd, _ := g.dir(child(t, g, cap, "backup.1", "d").Cap)
			for name, c := range dd {
				if data, _ := g.content(c.Cap); bytes.Contains(data, []byte(foreignMarker)) {
					t.Errorf("d/%s holds foreign content", name)
				}
			}
		})
	}
}

// TestFileReplacedSinceWalkIsSkipped: a file replaced by rename since the
// walk (another inode, same size and mtime) is not uploaded under the
// metadata phase one recorded for the old one; the next walk sees it.
func TestFileReplacedSinceWalkIsSkipped(t *testing.T) {
	root := swapTree(t)
	entries := walkTree(t, root)
	write(t, root, "new.tmp", []byte(strings.Repeat("X", 300)))
	mustDo(t, os.Rename(filepath.Join(root, "new.tmp"), filepath.Join(root, "other.dat")))
	_, st, err := newUploader(t, newFakeGrid(), newFakeCache(), testOptions(root)).Run(t.Context(), &sliceEntries{es: entries})
	if err != nil {
		t.Fatal(err)
	}
	if st.Skipped != 1 || st.Problems[0].Path != "other.dat" || !strings.Contains(st.Problems[0].Reason, "replaced") {
		t.Errorf("stats %+v", st)
	}
}

// TestRenumberedDeviceIsNotReplaced: a queue reused after a remount that
// gave the filesystem another device number still reads every file (each
// recorded device is paired with the first live one seen); a recorded
// device seen on two live ones is a replacement.
func TestRenumberedDeviceIsNotReplaced(t *testing.T) {
	root := swapTree(t)
	entries := walkTree(t, root)
	for i := range entries {
		entries[i].Meta.Dev += 7
	}
	_, st, err := newUploader(t, newFakeGrid(), newFakeCache(), testOptions(root)).Run(t.Context(), &sliceEntries{es: entries})
	if err != nil || st.Incomplete() {
		t.Fatalf("err %v, stats %+v", err, st)
	}
	var m devMap
	for _, tc := range []struct {
		recorded, live uint64
		want           bool
	}{{1, 10, true}, {1, 10, true}, {2, 10, true}, {1, 11, false}, {2, 20, false}} {
		if got := m.same(tc.recorded, tc.live); got != tc.want {
			t.Errorf("same(%d, %d) = %v, want %v", tc.recorded, tc.live, got, tc.want)
		}
	}
}
