package main

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// digest hashes a tree's names, types, sizes, modes, mtimes, link targets
// and contents.
func digest(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(h, "%q %v %d %d\n", rel, info.Mode(), info.Size(), info.ModTime().UnixNano())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintln(h, target)
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestTreesAreDeterministic(t *testing.T) {
	gens := map[string]func(string, uint64) (tree, error){
		"small": func(r string, s uint64) (tree, error) { return genSmall(r, 120, s) },
		"mixed": func(r string, s uint64) (tree, error) { return genMixed(r, 400, s) },
		"large": func(r string, s uint64) (tree, error) { return genLarge(r, 100_000, s) },
	}
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			a, err := gen(filepath.Join(dir, "a"), 7)
			if err != nil {
				t.Fatal(err)
			}
			b, err := gen(filepath.Join(dir, "b"), 7)
			if err != nil {
				t.Fatal(err)
			}
			c, err := gen(filepath.Join(dir, "c"), 8)
			if err != nil {
				t.Fatal(err)
			}
			da, db, dc := digest(t, a.Root), digest(t, b.Root), digest(t, c.Root)
			if da != db {
				t.Error("the same seed gave different trees")
			}
			if da == dc {
				t.Error("another seed gave the same tree")
			}
			if a.Files != len(a.paths) || a.Files == 0 || a.Dirs == 0 {
				t.Errorf("counts: %+v", a)
			}
		})
	}
}

func TestMixedTreeShape(t *testing.T) {
	tr, err := genMixed(filepath.Join(t.TempDir(), "m"), 2000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Entries() != 2000 {
		t.Errorf("entries = %d, want 2000", tr.Entries())
	}
	if tr.Dirs != 160 || tr.Symlinks == 0 {
		t.Errorf("dirs = %d (want 160), symlinks = %d (want some)", tr.Dirs, tr.Symlinks)
	}
	var walked int
	filepath.WalkDir(tr.Root, func(string, fs.DirEntry, error) error { walked++; return nil })
	if walked != tr.Entries() {
		t.Errorf("walk found %d entries, the tree says %d", walked, tr.Entries())
	}
}

func TestTouchChangesOnePercent(t *testing.T) {
	tr, err := genSmall(filepath.Join(t.TempDir(), "s"), 300, 3)
	if err != nil {
		t.Fatal(err)
	}
	before := map[string][]byte{}
	for _, p := range tr.paths {
		before[p], _ = os.ReadFile(filepath.Join(tr.Root, p))
	}
	n, err := touch(tr, 0.01, 0)
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for _, p := range tr.paths {
		now, _ := os.ReadFile(filepath.Join(tr.Root, p))
		if string(now) != string(before[p]) {
			changed++
			if len(now) != len(before[p]) {
				t.Errorf("%s changed size", p)
			}
		}
	}
	if n != 3 || changed != 3 {
		t.Errorf("touch said %d, %d files changed; want 3", n, changed)
	}
}
