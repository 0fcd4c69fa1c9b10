package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// The settings recorded with a backup, read back, give verify the walk's
// selection.
func TestVerifySkipper(t *testing.T) {
	const cacheDirTagSig = "Signature: 8a477f597d28d172789f06886806bc55"
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "cache", "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "cache", "CACHEDIR.TAG"), []byte(cacheDirTagSig+"\n# a cache\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "db.sqlite"), nil, 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "db.sqlite.v2-wal"), nil, 0o600))
	// A CACHEDIR.TAG that is a symlink does not tag its directory (the walk lstats it).
	must(t, os.MkdirAll(filepath.Join(dir, "linked", "sub"), 0o755))
	must(t, os.Symlink("../cache/CACHEDIR.TAG", filepath.Join(dir, "linked", "CACHEDIR.TAG")))
	s := backupSettings{Filter: []string{"+^/keep\\.tmp$", "-\\.tmp$", "-^/var/"}, SpecialFiles: "skip",
		CachedirTag: true, SkipPaths: entrycache.DatabaseFiles(filepath.Join(dir, "db.sqlite"))}
	round, err := parseSettings(s.JSON())
	if err != nil {
		t.Fatal(err)
	}
	sel, err := round.selection()
	if err != nil {
		t.Fatal(err)
	}
	skip := sel.Excluder(dir, "").Excluded
	for _, tc := range []struct {
		rel  string
		typ  fsmeta.Type
		want bool
	}{
		{"a.tmp", fsmeta.TypeFile, true},
		{"keep.tmp", fsmeta.TypeFile, false},
		{"var", fsmeta.TypeDir, true},
		{"var", fsmeta.TypeSymlink, false}, // a symlink is tested without "/"
		{"fifo", fsmeta.TypeFIFO, true},
		{"plain", fsmeta.TypeFile, false},
		{"cache/sub", fsmeta.TypeDir, true},
		{"cache/CACHEDIR.TAG", fsmeta.TypeFile, false},
		{"cache", fsmeta.TypeDir, false},
		{"db.sqlite", fsmeta.TypeFile, true},
		{"db.sqlite.v2-wal", fsmeta.TypeFile, true}, // the import database's side file
		{"linked/sub", fsmeta.TypeDir, false},
	} {
		if got := skip(tc.rel, tc.typ); got != tc.want {
			t.Errorf("skip(%q, %v) = %v, want %v", tc.rel, tc.typ, got, tc.want)
		}
	}
	// Under --path var, names are relative to var/ but the rules to the root.
	sub := sel.Excluder(dir, "var").Excluded
	if !sub("x", fsmeta.TypeFile) {
		t.Error("var/x should be skipped (-^/var/)")
	}
}
