package restore_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/restore"
)

// TestRestoreHostileTree restores a tree made to escape the target: names
// the gateway accepts but no file may have, raw names that decode to such
// names, a symlink with a directory of the same local name behind it, and
// hardlink keys that point out of the tree. Nothing may appear outside the
// target; every refused entry is reported; the harmless entry is restored.
func TestRestoreHostileTree(t *testing.T) {
	c, url := gridClient(t)
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "victim"), []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	pwned := lafsapi.LITCap([]byte("pwned"))
	fileMD := func(kv ...any) map[string]any { return md(append([]any{"mode", "100644"}, kv...)...) }
	inner, msg := mkdirRaw(t, url, map[string]rawChild{"pwned": {Cap: pwned, MD: fileMD()}})
	if inner.IsZero() {
		t.Fatal(msg)
	}
	tree, msg := mkdirRaw(t, url, map[string]rawChild{
		"..":        {Cap: pwned, MD: fileMD()},
		".":         {Cap: pwned, MD: fileMD()},
		"a/b":       {Cap: pwned, MD: fileMD()},
		"":          {Cap: pwned, MD: fileMD()},
		"nul\x00":   {Cap: pwned, MD: fileMD()},
		"r1":        {Cap: pwned, MD: fileMD("rawname", b64(".."))},
		"r2":        {Cap: pwned, MD: fileMD("rawname", b64("../outside/victim"))},
		"r3":        {Cap: inner, MD: md("mode", "40755", "rawname", b64(".."))},
		"x":         {Cap: lafsapi.LITCap([]byte(outside)), MD: md()}, // symlink x -> outside
		"x-dir":     {Cap: inner, MD: md("mode", "40755", "rawname", b64("x"))},
		"hl-out":    {Cap: pwned, MD: fileMD("size", "5", "hardlink", b64("../outside/victim"))},
		"hl-link":   {Cap: pwned, MD: fileMD("size", "5", "hardlink", b64("x/victim"))},
		"hl-dotdot": {Cap: pwned, MD: fileMD("size", "5", "hardlink", b64("ok/../../outside/victim"))},
		"ok":        {Cap: lafsapi.LITCap([]byte("fine")), MD: fileMD()},
	})
	if tree.IsZero() {
		t.Fatal(msg)
	}
	target := filepath.Join(base, "target")
	st, err := restore.Run(t.Context(), c, tree, restore.Options{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range st.Failed {
		failed = append(failed, f.Error())
	}
	t.Logf("failures:\n%s", strings.Join(failed, "\n"))
	for _, want := range []string{`..: refused: name ".."`, `.: refused: name "."`, "a/b: refused", "refused: empty name",
		`nul\x00: refused`, "x: refused: a second entry named x"} {
		if !slices.ContainsFunc(failed, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("no failure %q", want)
		}
	}
	if len(st.Failed) != 9 {
		t.Errorf("%d failures, want 9 (5 bad names, 3 bad raw names, x twice)", len(st.Failed))
	}
	assertOutsideUntouched(t, base, outside)
	got := listTree(t, target)
	// x is the symlink (sorted first on the grid); x-dir, decoding to the
	// same name, is refused. The hardlink members cannot link out of the
	// tree, so they are written as files of their own.
	wantTree := []string{"hl-dotdot=pwned", "hl-link=pwned", "hl-out=pwned", "ok=fine", "x->" + outside}
	if !slices.Equal(got, wantTree) {
		t.Errorf("target holds %q, want %q", got, wantTree)
	}
}

// TestRestoreForceDoesNotFollow restores with Force into a target that
// already holds symlinks where the backup has a directory and a file.
func TestRestoreForceDoesNotFollow(t *testing.T) {
	c, _ := gridClient(t)
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	target := filepath.Join(base, "target")
	for _, d := range []string{outside, target} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, os.Symlink(outside, filepath.Join(target, "d")))
	must(t, os.Symlink(victim, filepath.Join(target, "f")))
	root := build(t, c, dirNode(nil, map[string]tnode{
		"d": dirNode(md("mode", "40755"), map[string]tnode{"victim": file("pwned", md("mode", "100644"))}),
		"f": file("restored", md("mode", "100600")),
	}))
	if _, err := restore.Run(t.Context(), c, root, restore.Options{Target: target}); err == nil ||
		!strings.Contains(err.Error(), "not empty") {
		t.Fatalf("non-empty target without Force: %v", err)
	}
	st, err := restore.Run(t.Context(), c, root, restore.Options{Target: target, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Failed) != 1 || st.Failed[0].Path != "d" || !strings.Contains(st.Failed[0].Error(), "in the way") {
		t.Errorf("failures %v, want d refused", st.Failed)
	}
	assertOutsideUntouched(t, base, outside)
	if got, want := listTree(t, target), []string{"d->" + outside, "f=restored"}; !slices.Equal(got, want) {
		t.Errorf("target holds %q, want %q", got, want)
	}
}

func assertOutsideUntouched(t *testing.T, base, outside string) {
	t.Helper()
	if got := listTree(t, outside); !slices.Equal(got, []string{"victim=original"}) {
		t.Errorf("outside now holds %q", got)
	}
	entries, _ := os.ReadDir(base)
	for _, e := range entries {
		if e.Name() != "outside" && e.Name() != "target" {
			t.Errorf("written beside the target: %q", e.Name())
		}
	}
}

// listTree lists root as "path=content" for files, "path->target" for
// symlinks and "path/" for directories, sorted.
func listTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			s, _ := os.Readlink(p)
			out = append(out, rel+"->"+s)
		case fi.IsDir():
			out = append(out, rel+"/")
		default:
			b, _ := os.ReadFile(p)
			out = append(out, rel+"="+string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
