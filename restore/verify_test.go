package restore_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/restore"
)

// restored restores the backup root into a fresh directory.
func restored(t *testing.T, c *lafsapi.Client, root lafsapi.Cap) string {
	t.Helper()
	target := filepath.Join(t.TempDir(), "out")
	st, err := restore.Run(t.Context(), c, root, restore.Options{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range st.Failed {
		t.Logf("restore failure: %v", f)
	}
	return target
}

func verify(t *testing.T, c *lafsapi.Client, root lafsapi.Cap, o restore.VerifyOptions) (restore.VerifyStats, []string) {
	t.Helper()
	st, err := restore.Verify(t.Context(), c, root, o)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range st.Differences {
		got = append(got, d.String())
	}
	slices.Sort(got)
	return st, got
}

func TestVerifyRestoredTreeMatches(t *testing.T) {
	requireRoot(t)
	c, root := v1Root(t)
	dir := restored(t, c, root)
	st, diffs := verify(t, c, root, restore.VerifyOptions{Dir: dir, Content: true, Xattrs: true})
	if !st.Match() || len(diffs) > 0 {
		t.Errorf("differences: %q", diffs)
	}
	if st.Entries != 20 || st.Hashed != 13 || st.Bytes == 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestVerifyFindsDifferences(t *testing.T) {
	requireRoot(t)
	c, root := v1Root(t)
	dir := restored(t, c, root)
	// One byte of big.txt changes, size and mtime kept: only --content sees it.
	big := filepath.Join(dir, "big.txt")
	fi, _ := os.Stat(big)
	f, err := os.OpenFile(big, os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteAt([]byte{'X'}, 1000)
	must(t, err)
	must(t, f.Close())
	must(t, os.Chtimes(big, time.Time{}, fi.ModTime()))
	must(t, os.Chmod(filepath.Join(dir, "plain.txt"), 0o664))
	must(t, os.Remove(filepath.Join(dir, "empty")))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "extra.txt"), nil, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "skipped"), nil, 0o644))
	skip := func(rel string, typ fsmeta.Type) bool { return rel == "skipped" && typ == fsmeta.TypeFile }
	restoreDirTimes(t, dir, "", "sub")

	_, diffs := verify(t, c, root, restore.VerifyOptions{Dir: dir, Skip: skip})
	want := []string{
		"empty: missing",
		"plain.txt: differs: mode: 0644 != 0664",
		"sub/extra.txt: extra",
	}
	if !slices.Equal(diffs, want) {
		t.Errorf("without content:\n got %q\nwant %q", diffs, want)
	}
	st, diffs := verify(t, c, root, restore.VerifyOptions{Dir: dir, Skip: skip, Content: true})
	local, err := os.ReadFile(big)
	must(t, err)
	// The content difference names both sides by SHA-256, as sha256sum
	// would print them: the backup's, then the local file's.
	want = append([]string{"big.txt: differs: content: " + sha256Of(bigText) + " != " + sha256Of(string(local))}, want...)
	if !slices.Equal(diffs, want) || st.Match() {
		t.Errorf("with content:\n got %q\nwant %q", diffs, want)
	}
	// An entry the backup recorded as left out is no difference.
	leftOut := func(rel string) bool { return rel == "sub/extra.txt" }
	st, diffs = verify(t, c, root, restore.VerifyOptions{Dir: dir, Skip: skip, LeftOut: leftOut})
	want = []string{"empty: missing", "plain.txt: differs: mode: 0644 != 0664", "sub/extra.txt: skipped when backed up"}
	if !slices.Equal(diffs, want) || st.Extra != 0 || st.SkippedAtBackup != 1 {
		t.Errorf("with LeftOut:\n got %q (%d extra, %d skipped)\nwant %q", diffs, st.Extra, st.SkippedAtBackup, want)
	}
}

func sha256Of(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// restoreDirTimes puts back the recorded mtime of directories the test
// changed by adding or removing entries.
func restoreDirTimes(t *testing.T, root string, rels ...string) {
	t.Helper()
	mt := time.Unix(0, 1700000000123456789)
	for _, rel := range rels {
		must(t, os.Chtimes(filepath.Join(root, rel), time.Time{}, mt))
	}
}

func TestVerifyOriginalToolTree(t *testing.T) {
	requireRoot(t)
	c, _ := gridClient(t)
	tree := originalTree()
	delete(tree.kids["etc"].kids, "orphan") // its ACL cannot be restored
	root := build(t, c, tree)
	dir := restored(t, c, root)
	st, diffs := verify(t, c, root, restore.VerifyOptions{Dir: dir, Content: true})
	if !st.Match() {
		t.Errorf("differences: %q", diffs)
	}
	must(t, os.WriteFile(filepath.Join(dir, "etc", "big.log"), []byte("short"), 0o644))
	_, diffs = verify(t, c, root, restore.VerifyOptions{Dir: dir, Content: true})
	if want := []string{"etc/big.log: differs: content: " + sha256Of(bigText) + " != " + sha256Of("short")}; !slices.Equal(diffs, want) {
		t.Errorf("got %q, want %q", diffs, want)
	}
}

func TestVerifySubPathAndSample(t *testing.T) {
	requireRoot(t)
	c, root := v1Root(t)
	dir := restored(t, c, root)
	st, diffs := verify(t, c, root, restore.VerifyOptions{Dir: filepath.Join(dir, "sub"), SubPath: "sub", Content: true})
	if !st.Match() || st.Entries != 4 {
		t.Errorf("sub: %+v %q", st, diffs)
	}
	st, diffs = verify(t, c, root, restore.VerifyOptions{Dir: dir, SubPath: "big.txt", Content: true})
	if !st.Match() || st.Entries != 1 || st.Hashed != 1 {
		t.Errorf("one file: %+v %q", st, diffs)
	}
	st, _ = verify(t, c, root, restore.VerifyOptions{Dir: dir, Content: true, SamplePercent: 0.0001})
	if st.Hashed > 3 {
		t.Errorf("sampled 0.0001%%: hashed %d files", st.Hashed)
	}
}
