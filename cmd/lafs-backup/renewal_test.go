package main

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// ageRows moves every cache row's renewed_at back by d, as if that much
// time had passed since the objects' leases were last renewed.
func ageRows(t *testing.T, s *site, d time.Duration) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(s.dir, "cache.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"objects", "subtrees"} {
		if _, err := db.Exec(`UPDATE `+table+` SET renewed_at = renewed_at - ?`, d.Nanoseconds()); err != nil {
			t.Fatal(err)
		}
	}
}

// rowsOlderThan counts the cache rows whose renewed_at is before t0.
func rowsOlderThan(t *testing.T, s *site, t0 time.Time) int {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(s.dir, "cache.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	for _, table := range []string{"objects", "subtrees"} {
		var k int
		if err := db.QueryRow(`SELECT count(*) FROM `+table+` WHERE renewed_at < ?`, t0.UnixNano()).Scan(&k); err != nil {
			t.Fatal(err)
		}
		n += k
	}
	return n
}

func leasesRenewed(t *testing.T, s *site) map[int64]time.Time {
	t.Helper()
	db, err := entrycache.Open(context.Background(), filepath.Join(s.dir, "cache.sqlite"), entrycache.Options{NoCreate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := map[int64]time.Time{}
	for _, b := range mustBackups(t, db) {
		m[b.Generation] = b.LeasesRenewedAt
	}
	return m
}

// TestRenewalBookkeeping: what check records about leases on a real grid
// (issue 14, item 4).
func TestRenewalBookkeeping(t *testing.T) {
	g := testgrid.New(t, testgrid.Options{})
	c := client(t, g.URL())
	t.Run("check --least-renewed rotates past a backup with an unreadable directory", func(t *testing.T) {
		s := newSite(t, g.URL(), "")
		mustWrite(t, filepath.Join(s.snaps, "snap.1", "sick/lost.txt"), bytes.Repeat([]byte("lost "), 100))
		mustWrite(t, filepath.Join(s.snaps, "snap.1", "fine.txt"), bytes.Repeat([]byte("one "), 100))
		sick := s.mustBackup(t)
		mustWrite(t, filepath.Join(s.snaps, "snap.2", "other.txt"), bytes.Repeat([]byte("two "), 100))
		s.mustBackup(t)
		si := treeCensus(t, c, []lafsapi.Cap{sick}).si
		dir := si["0/snap.1/sick"]
		if dir == "" {
			t.Fatalf("no storage index for sick/: %v", si)
		}
		for i := range g.StorageNodes() {
			os.RemoveAll(filepath.Join(g.StorageDir(i), "shares", dir[:2], dir))
		}
		if code, out, errOut := s.run(t, "check", "--least-renewed"); code != exitUnrecoverable {
			t.Fatalf("check --least-renewed of the sick backup: exit %d\n%s\n%s", code, out, errOut)
		}
		if r := leasesRenewed(t, s); r[1].IsZero() || !r[2].IsZero() {
			t.Fatalf("after the first check --least-renewed: renewed %v, want gen 1 only", r)
		}
		if code, out, errOut := s.run(t, "check", "--least-renewed"); code != 0 {
			t.Fatalf("second check --least-renewed (the healthy backup): exit %d\n%s\n%s", code, out, errOut)
		}
		if r := leasesRenewed(t, s); r[2].IsZero() {
			t.Fatalf("the second check --least-renewed did not move on to gen 2: %v", r)
		}
	})
	t.Run("one node down still renews the rows", func(t *testing.T) {
		proxy := testgrid.NewCountingProxy(t, g.URL())
		s := newSite(t, proxy.URL(), "")
		mixedTree(t, filepath.Join(s.snaps, "snap.1"))
		settleTree()
		s.mustBackup(t)
		if proxy.Count() == 0 {
			t.Fatal("the backup sent nothing through the proxy: the count below proves nothing")
		}
		ageRows(t, s, 30*24*time.Hour) // beyond trust_days (25)
		if err := g.StopStorage(3); err != nil {
			t.Fatal(err)
		}
		defer g.StartStorage(3)
		if code, out, errOut := s.run(t, "check"); code != exitDifferences {
			t.Fatalf("check with a node down: exit %d, want %d\n%s\n%s", code, exitDifferences, out, errOut)
		}
		proxy.Reset()
		s.mustBackup(t)
		if !onlyIdentity(proxy.Requests()) {
			t.Errorf("unchanged rerun after check sent %v, want only the identity request", proxy.Requests())
		}
	})
	t.Run("a resumed run's leftover row is not marked", func(t *testing.T) {
		s := newSite(t, "http://placeholder", "")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s.config = retarget(t, s, cancelAfterFirstPut(t, g.URL(), cancel))
		snap := filepath.Join(s.snaps, "snap.1")
		mustWrite(t, filepath.Join(snap, "a.bin"), randomBytes(100_000))
		mustWrite(t, filepath.Join(snap, "tiny"), []byte("lit"))
		settleTree() // so that the interrupted run records a.bin's row
		var out, errb bytes.Buffer
		if code := run(ctx, []string{"-c", s.config, "backup"}, stdio{in: strings.NewReader(""), out: &out, err: &errb}); code == 0 {
			t.Fatalf("the interrupted run finished:\n%s", errb.String())
		}
		mustWrite(t, filepath.Join(snap, "a.bin"), randomBytes(100_000)) // new content: the old row is left over
		if code, _, errOut := s.backup(t, "-r"); code != 0 {
			t.Fatalf("resumed backup: exit %d\n%s", code, errOut)
		}
		ageRows(t, s, 30*24*time.Hour)
		start := time.Now()
		if code, out, errOut := s.run(t, "check"); code != 0 {
			t.Fatalf("check: exit %d\n%s\n%s", code, out, errOut)
		}
		if n := rowsOlderThan(t, s, start.Add(-24*time.Hour)); n != 1 {
			t.Errorf("%d rows left old after check, want 1 (the first a.bin, in no tree)", n)
		}
	})
}

// cancelAfterFirstPut is a proxy to target that calls cancel once the
// first file upload (PUT /uri) has been answered.
func cancelAfterFirstPut(t *testing.T, target string, cancel func()) string {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rp.ServeHTTP(w, r)
		if r.Method == http.MethodPut && r.URL.Path == "/uri" {
			once.Do(cancel)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// retarget writes a copy of the site's config pointing at url.
func retarget(t *testing.T, s *site, gateway string) string {
	cfg, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(s.dir, "retargeted.yaml")
	text := strings.Replace(string(cfg), "http://placeholder/uri", gateway+"/uri", 1)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
