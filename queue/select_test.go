package queue

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/filter"
	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// TestExcluderAgreesWithWalk: on a real tree, an entry whose directory is
// in the queue is in the queue exactly when the Excluder does not exclude
// it; verify and the walk share one selection.
func TestExcluderAgreesWithWalk(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, data string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("keep.tmp", "k")
	write("drop.tmp", "d")
	write("var/log/x", "x")
	write("cache/CACHEDIR.TAG", cacheDirTagSig+"\n")
	write("cache/blob", "b")
	write("fake/CACHEDIR.TAG", "not the signature")
	write("fake/blob", "b")
	write("linked/blob", "b")
	write("state/db", "")
	write("state/db-wal", "")
	write("plain", "p")
	if err := os.Symlink("../cache/CACHEDIR.TAG", filepath.Join(dir, "linked", "CACHEDIR.TAG")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	flt, err := filter.Parse([]string{`+^/keep\.tmp$`, `-\.tmp$`, `-^/var/log/`})
	if err != nil {
		t.Fatal(err)
	}
	sel := Selection{Filter: flt, SpecialFiles: SkipSpecial, CacheDirTag: true,
		SkipPaths: []string{filepath.Join(dir, "state/db"), filepath.Join(dir, "state/db-wal")}}
	qpath := filepath.Join(t.TempDir(), "q")
	if _, err := WriteFile(context.Background(), qpath, dir, BuildOptions{Selection: sel}); err != nil {
		t.Fatal(err)
	}
	inQueue := map[string]bool{}
	for _, e := range readQueueFile(t, qpath) {
		inQueue[e.Path] = true
	}
	x := sel.Excluder(dir, "")
	excluded := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !inQueue[filepath.Dir(rel)] && filepath.Dir(rel) != "." {
			return nil // below an entry left out: never reached by either
		}
		m, err := fsmeta.Read(p, fsmeta.Options{})
		if err != nil {
			return err
		}
		out := x.Excluded(rel, m.Type)
		if out == inQueue[rel] {
			t.Errorf("%s: in the queue %v, Excluded %v", rel, inQueue[rel], out)
		}
		if out {
			excluded++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// drop.tmp, var/log, cache/blob, fifo, state/db, state/db-wal
	if excluded != 6 {
		t.Errorf("%d entries excluded, want 6", excluded)
	}
}
