package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestLifecycleWithReusedSubtrees: nightly snapshots (each a cp -a of the
// last plus a change) whose unchanged directories are reused by subtree
// rows, so the rows inside keep the generation of the first backup. On
// the real grid through the counting proxy:
//   - check renews the lease of a file only the first backup uploaded,
//     deep inside a reused subtree, and marks the rows renewed: with every
//     row past the trust window before the check, an unchanged rerun after
//     it sends only the identity request;
//   - cleanup of the backups that recorded and first reused the subtrees
//     keeps the rows the kept backup's subtrees hold: a deep change then
//     costs its path to the root, with no re-upload and no re-check;
//   - the control: rows past the trust window without a check are
//     checked again by the next backup (so the silence above is the
//     check's doing).
func TestLifecycleWithReusedSubtrees(t *testing.T) {
	g := testgrid.Shared(t)
	proxy := testgrid.NewCountingProxy(t, g.URL())
	c := client(t, g.URL())
	s := newSite(t, proxy.URL(), "")
	setConfig(t, s, "operation: {jobs: 2}", "operation: {jobs: 2, trust_days: 1}")
	snap := func(n int) string { return filepath.Join(s.snaps, fmt.Sprintf("snap.%d", n)) }

	mixedTree(t, snap(1))
	mustWrite(t, filepath.Join(snap(1), "a/b/side/s.txt"), bytes.Repeat([]byte("side "), 300))
	mustWrite(t, filepath.Join(snap(1), "x/y/z.txt"), bytes.Repeat([]byte("zzz "), 300))
	settleTree()
	first := s.backupJSON(t)

	copyTree(t, snap(1), snap(2))
	mustWrite(t, filepath.Join(snap(2), "only/2.bin"), randomBytes(5000))
	settleTree()
	proxy.Reset()
	second := s.backupJSON(t)
	if n := uploads(proxy.Requests()); n != 1 || second.SubtreesReused != 5 { // etc, data, a, x, emptydir
		t.Errorf("next snapshot: %d uploads, %d subtrees reused; want only/2.bin and the 5 old directories: %v",
			n, second.SubtreesReused, proxy.Requests())
	}

	cs := treeCensus(t, c, []lafsapi.Cap{mustParseCap(t, first.Cap), mustParseCap(t, second.Cap)})
	deep := cs.si["1/snap.2/a/b/c/deep.txt"]
	if deep == "" || deep != cs.si["0/snap.1/a/b/c/deep.txt"] {
		t.Fatalf("deep.txt: storage index %q in the second backup, %q in the first", deep, cs.si["0/snap.1/a/b/c/deep.txt"])
	}
	ageCacheRows(t, s, 10*24*time.Hour)
	before := leaseExpiry(t, g, deep)
	time.Sleep(2 * time.Second) // expiry times are whole seconds
	if code, out, errOut := s.run(t, "check"); code != 0 || out != "" {
		t.Fatalf("check: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	for i, e := range leaseExpiry(t, g, deep) {
		if e < before[i]+2 {
			t.Errorf("share %d of deep.txt (inside a reused subtree): lease expiry %d before check, %d after", i, before[i], e)
		}
	}
	proxy.Reset()
	third := s.backupJSON(t)
	if !onlyIdentity(proxy.Requests()) || third.Cap != second.Cap || third.SubtreesReused != 1 {
		t.Errorf("unchanged rerun after check: requests %v, same cap %v, %d subtrees reused",
			proxy.Requests(), third.Cap == second.Cap, third.SubtreesReused)
	}

	// Keep only the third backup: it reused the second's root subtree, which
	// holds the first's rows.
	if code, _, errOut := s.run(t, "cleanup", "--keep-last", "1"); code != 0 || !strings.Contains(errOut, "removed 2 backups") {
		t.Fatalf("cleanup --keep-last 1: exit %d\n%s", code, errOut)
	}
	copyTree(t, snap(2), snap(3))
	mustWrite(t, filepath.Join(snap(3), "a/b/c/deep.txt"), bytes.Repeat([]byte("DEEP "), 400))
	settleTree()
	proxy.Reset()
	fourth := s.backupJSON(t)
	reqs := proxy.Requests()
	puts, mkdirs := countKinds(reqs)
	// PUT deep.txt; mkdir c, b, a, the snapshot root, the wrapper; the grid identity check.
	if puts != 1 || mkdirs != 5 || len(reqs) != 7 || fourth.SubtreesReused != 6 { // etc, data, x, emptydir, only, a/b/side
		t.Errorf("after cleanup and one deep change: %d PUTs, %d mkdirs, %d subtrees reused, requests %v",
			puts, mkdirs, fourth.SubtreesReused, reqs)
	}

	ageCacheRows(t, s, 10*24*time.Hour)
	proxy.Reset()
	fifth := s.backupJSON(t)
	if checks := countMatching(proxy.Requests(), "t=check"); checks == 0 || uploads(proxy.Requests()) != 0 || fifth.Cap != fourth.Cap {
		t.Errorf("rows past the trust window: %d checks, %d uploads, same cap %v; want checks only",
			checks, uploads(proxy.Requests()), fifth.Cap == fourth.Cap)
	}
}

// setConfig replaces old by new in the site's configuration.
func setConfig(t *testing.T, s *site, old, new string) {
	t.Helper()
	cfg, err := os.ReadFile(s.config)
	if err != nil || !bytes.Contains(cfg, []byte(old)) {
		t.Fatalf("config %s lacks %q (%v)", s.config, old, err)
	}
	mustWrite(t, s.config, bytes.Replace(cfg, []byte(old), []byte(new), 1))
}

// ageCacheRows moves every row's renewal back by age, as if that much time
// had passed since (docs/cache.md: objects and subtrees, renewed_at in
// unix nanoseconds).
func ageCacheRows(t *testing.T, s *site, age time.Duration) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(s.dir, "cache.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"objects", "subtrees"} {
		res, err := db.Exec("UPDATE "+table+" SET renewed_at = renewed_at - ? WHERE renewed_at IS NOT NULL", age.Nanoseconds())
		if err != nil {
			t.Fatalf("age %s: %v", table, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			t.Fatalf("age %s: no row", table)
		}
	}
}

func mustParseCap(t *testing.T, s string) lafsapi.Cap {
	t.Helper()
	c, err := lafsapi.ParseCap(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
