package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lafs-backup/lafs-backup/testgrid"
)

// backupJSON runs a backup with --json and returns its summary.
func (s *site) backupJSON(t *testing.T) backupSummary {
	t.Helper()
	code, out, errOut := s.run(t, "--json", "backup")
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, errOut)
	}
	var sum backupSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	return sum
}

// TestBackupReusesUnchangedSubtrees, on the real grid through the counting
// proxy: a tree older than the racy margin is recorded subtree by subtree;
// an unchanged rerun reuses it whole by one subtree row, sends only the
// identity request and opens no file (not even those of at most 55 bytes,
// whose content is their LIT cap);
// after the backup that recorded the rows inside is cleaned up, a change
// deep down still costs only its path to the root (the cleanup kept the
// rows the reused subtree holds); and what was built equals a backup of
// the same snapshot from an empty cache.
func TestBackupReusesUnchangedSubtrees(t *testing.T) {
	g := testgrid.Shared(t)
	proxy := testgrid.NewCountingProxy(t, g.URL())
	s := newSite(t, proxy.URL(), "")
	snap := filepath.Join(s.snaps, "snap.1")
	mixedTree(t, snap)
	mustWrite(t, filepath.Join(snap, "a/b/side/s.txt"), bytes.Repeat([]byte("side "), 300))
	mustWrite(t, filepath.Join(snap, "x/y/z.txt"), bytes.Repeat([]byte("zzz "), 300))
	settleTree()

	opens := watchOpens(t, snap)
	first := s.backupJSON(t)
	if first.FilesUploaded == 0 {
		t.Fatal("the first backup uploaded nothing: the counts below would prove nothing")
	}
	if read := opens.opened(t); !read["data/tiny.txt"] || !read["etc/app.conf"] {
		t.Fatalf("the first backup did not open data/tiny.txt (LIT) and etc/app.conf: %v; the watch proves nothing", read)
	}
	proxy.Reset()
	again := s.backupJSON(t)
	if !onlyIdentity(proxy.Requests()) || again.Cap != first.Cap {
		t.Errorf("unchanged rerun: requests %v (want only the identity request), same cap %v", proxy.Requests(), again.Cap == first.Cap)
	}
	if read := opens.opened(t); len(read) != 0 {
		t.Errorf("the unchanged rerun opened %v", read)
	}
	if again.SubtreesReused != 1 || again.FilesReused != first.FilesUploaded+first.FilesReused+first.FilesLIT {
		t.Errorf("unchanged rerun reused %d subtrees and %d files; want the root's alone, holding all %d files",
			again.SubtreesReused, again.FilesReused, first.FilesUploaded+first.FilesLIT)
	}

	// The first backup recorded every row inside the root's subtree; the
	// second only reused the subtree row. Remove the first.
	if code, _, errOut := s.run(t, "cleanup", "gen:"+strconv.FormatInt(first.Generation, 10)); code != 0 {
		t.Fatalf("cleanup: exit %d\n%s", code, errOut)
	}
	mustWrite(t, filepath.Join(snap, "a/b/c/deep.txt"), bytes.Repeat([]byte("DEEP "), 400))
	proxy.Reset()
	changed := s.backupJSON(t)
	reqs := proxy.Requests()
	puts, mkdirs := countKinds(reqs)
	// PUT deep.txt; mkdir c, b, a, the snapshot root, the wrapper; the grid identity check.
	if puts != 1 || mkdirs != 5 || len(reqs) != 7 {
		t.Errorf("after cleanup and one deep change: %d PUTs, %d mkdirs, requests %v", puts, mkdirs, reqs)
	}
	if changed.SubtreesReused < 4 { // etc, data, x, a/b/side
		t.Errorf("reused %d subtrees beside the changed path, want at least 4", changed.SubtreesReused)
	}

	fresh := newSite(t, g.URL(), "")
	copyTree(t, snap, filepath.Join(fresh.snaps, "snap.1"))
	if got := fresh.backupJSON(t); got.Cap != changed.Cap {
		t.Error("the tree built from reused subtrees differs from one built from an empty cache")
	}
}
