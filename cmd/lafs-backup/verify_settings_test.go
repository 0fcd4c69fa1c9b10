package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

func TestVerifySkipper(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "cache", "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "cache", "CACHEDIR.TAG"), []byte(cacheDirTagSig+"\n# a cache\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "db.sqlite"), nil, 0o600))
	s := backupSettings{Filter: []string{"+^/keep\\.tmp$", "-\\.tmp$", "-^/var/"}, SpecialFiles: "skip",
		CachedirTag: true, SkipPaths: cacheFiles(filepath.Join(dir, "db.sqlite"))}
	round, err := parseSettings(s.JSON())
	if err != nil {
		t.Fatal(err)
	}
	skip, err := round.skipper(dir, "")
	if err != nil {
		t.Fatal(err)
	}
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
	} {
		if got := skip(tc.rel, tc.typ); got != tc.want {
			t.Errorf("skip(%q, %v) = %v, want %v", tc.rel, tc.typ, got, tc.want)
		}
	}
	// Under --path var, names are relative to var/ but the rules to the root.
	sub, err := round.skipper(dir, "var")
	if err != nil {
		t.Fatal(err)
	}
	if !sub("x", fsmeta.TypeFile) {
		t.Error("var/x should be skipped (-^/var/)")
	}
}
