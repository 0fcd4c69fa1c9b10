package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// offlineSite is an entry cache with recorded backups and a config whose
// gateway does not exist: list and cleanup without a result link send no
// request, so they must work.
type offlineSite struct {
	dir, config, cache string
	caps               []lafsapi.Cap
}

// fakeCap is a well-formed DIR2-CHK cap unique to n.
func fakeCap(t *testing.T, n int) lafsapi.Cap {
	t.Helper()
	k := strings.Repeat("a", 25) + string(rune('a'+n))
	c, err := lafsapi.ParseCap("URI:DIR2-CHK:" + k + ":" + strings.Repeat("b", 52) + ":2:4:100")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newOfflineSite records n backups of source "/s/snap.*", one day apart
// (generation i finished i days after 2026-01-01 12:00 local), each using
// the cache objects "shared" and "own-i"; generation n+1 is a run that
// never finished, holding "dangling".
func newOfflineSite(t *testing.T, n int) *offlineSite {
	t.Helper()
	ctx := context.Background()
	s := &offlineSite{dir: t.TempDir()}
	s.cache = filepath.Join(s.dir, "cache.sqlite")
	s.config = filepath.Join(s.dir, "site.yaml")
	cfg := fmt.Sprintf("source: {path: /s/snap.*, entry_cache: {path: %s}}\ndestination: {url: 'http://127.0.0.1:9/'}\n", s.cache)
	if err := os.WriteFile(s.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := entrycache.Open(ctx, s.cache, entrycache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	put := func(run entrycache.Run, names ...string) {
		b := db.NewBatch(run)
		for _, name := range names {
			key := entrycache.Key([]byte(name))
			if _, ok, _ := b.Lookup(ctx, key); ok {
				b.Use(key)
			} else if err := b.Put(entrycache.Object{Key: key, Cap: "URI:LIT:mfrgg", Kind: entrycache.KindFile}); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.Local)
	for i := 1; i <= n; i++ {
		run, _, err := db.BeginRun(ctx, "/s/snap.*", false)
		if err != nil {
			t.Fatal(err)
		}
		put(run, "shared", fmt.Sprintf("own-%d", i))
		c := fakeCap(t, i)
		s.caps = append(s.caps, c)
		_, err = db.RecordBackup(ctx, run, entrycache.Backup{Name: fmt.Sprintf("snap.%d", i), Cap: c.Secret(),
			Status: entrycache.StatusOK, Finished: base.AddDate(0, 0, i), Entries: int64(10 * i), Bytes: 1000})
		if err != nil {
			t.Fatal(err)
		}
	}
	run, _, err := db.BeginRun(ctx, "/s/snap.*", false)
	if err != nil {
		t.Fatal(err)
	}
	put(run, "dangling")
	return s
}

func (s *offlineSite) run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return runMainIn(t, stdin, append([]string{"-c", s.config}, args...)...)
}

func (s *offlineSite) backups(t *testing.T) []int64 {
	t.Helper()
	db, err := entrycache.Open(context.Background(), s.cache, entrycache.Options{NoCreate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return gensOfBackups(mustBackups(t, db))
}

func gensOfBackups(bs []entrycache.Backup) []int64 {
	var out []int64
	for _, b := range bs {
		out = append(out, b.Generation)
	}
	return out
}

func TestListOffline(t *testing.T) {
	s := newOfflineSite(t, 3)
	code, out, errOut := s.run(t, "", "list")
	want := fmt.Sprintf(`GEN  FINISHED             STATUS  ENTRIES  BYTES   NAME    CAP
1    2026-01-02 12:00:00  ok      10       1.0 kB  snap.1  %s
2    2026-01-03 12:00:00  ok      20       1.0 kB  snap.2  %s
3    2026-01-04 12:00:00  ok      30       1.0 kB  snap.3  %s
`, s.caps[0].Secret(), s.caps[1].Secret(), s.caps[2].Secret())
	if code != 0 || out != want {
		t.Errorf("exit %d\n%s\nwant\n%s\n%s", code, out, want, errOut)
	}
	// The unfinished run is killed while nobody holds the lock, running
	// while a backup (here: the test) does.
	for _, state := range []string{"killed", "running"} {
		if state == "running" {
			unlock, err := entrycache.Lock(context.Background(), s.cache, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unlock()
		}
		code, out, _ = s.run(t, "", "list", "-g")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[1], "4 ") || !strings.Contains(lines[1], " "+state+" ") ||
			strings.Fields(lines[1])[4] != "1" {
			t.Errorf("list -g, want %s: exit %d\n%s", state, code, out)
		}
	}
	if code, out, _ := s.run(t, "", "list", "-g", "2"); code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("list -g 2 (not dangling): exit %d\n%s", code, out)
	}
	if code, _, _ := s.run(t, "", "list", "extra"); code != exitUsage {
		t.Errorf("list extra: exit %d", code)
	}
	// A cache that does not exist yet holds no backups.
	os.Remove(s.cache)
	if code, out, errOut := s.run(t, "", "list"); code != 0 || out != "" || !strings.Contains(errOut, "no backups") {
		t.Errorf("missing cache: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestCleanupUsage(t *testing.T) {
	s := newOfflineSite(t, 1)
	for _, args := range [][]string{
		{"cleanup"},
		{"cleanup", "--keep-last", "2", "-g", "1"},
		{"cleanup", "gen:1", "-n"},
		{"cleanup", "-g", "x"},
		{"cleanup", "gen:9"},
		{"cleanup", "no-such-name"},
		{"--json", "cleanup", "gen:1", "-e"},
	} {
		if code, _, errOut := s.run(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitUsage, errOut)
		}
	}
	if got := s.backups(t); len(got) != 1 {
		t.Errorf("a usage error removed something: %v", got)
	}
}

func TestCleanupOffline(t *testing.T) {
	s := newOfflineSite(t, 6)
	// One backup a day: the last one and three days keep the three newest.
	code, out, errOut := s.run(t, "", "cleanup", "--keep-last", "1", "--keep-daily", "3", "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"keep    gen:6", "(last, daily, newest successful)", "keep    gen:4", "remove  gen:3", "remove  gen:1",
		"would remove 3 backups and the cache rows of generations 1, 2, 3; keep 3 backups"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if got := s.backups(t); len(got) != 6 {
		t.Fatalf("dry run removed backups: %v", got)
	}

	// By caps on stdin (one unknown), a name, and the dangling generation.
	stdin := s.caps[0].Secret() + "\n\n" + fakeCap(t, 20).Secret() + "\n"
	code, _, errOut = s.run(t, stdin, "cleanup", "-", "snap.2", "-g", "7")
	if code != 0 || !strings.Contains(errOut, "no recorded backup has this cap") || strings.Contains(errOut, fakeCap(t, 20).Secret()) {
		t.Fatalf("exit %d\n%s", code, lafsapi.RedactCaps(errOut))
	}
	if got := fmt.Sprint(s.backups(t)); got != "[3 4 5 6]" {
		t.Errorf("backups left %s", got)
	}
	code, out, _ = s.run(t, "", "list", "-g")
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("dangling generation 7 survives:\n%s", out)
	}

	// A policy never removes the newest successful backup.
	if code, _, errOut := s.run(t, "", "cleanup", "--keep-monthly", "0", "--keep-last", "-0"); code != exitUsage {
		t.Errorf("an empty policy: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := s.run(t, "", "cleanup", "--up-to", "6"); code != 0 {
		t.Fatalf("--up-to 6: exit %d\n%s", code, errOut)
	}
	if got := s.backups(t); len(got) != 0 {
		t.Errorf("explicit --up-to leaves %v", got)
	}
}

func TestCleanupWaitsForTheLock(t *testing.T) {
	s := newOfflineSite(t, 2)
	unlock, err := entrycache.Lock(context.Background(), s.cache, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if code, _, errOut := s.run(t, "", "cleanup", "gen:1"); code != exitLocked {
		t.Errorf("locked: exit %d\n%s", code, errOut)
	}
	if code, out, errOut := s.run(t, "", "cleanup", "gen:1", "--dry-run"); code != 0 || !strings.Contains(out, "remove  gen:1") {
		t.Errorf("a dry run needs no lock: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := s.backups(t); len(got) != 2 {
		t.Errorf("backups %v", got)
	}
}

func TestCheckUsageAndMaxAgeWithoutBackups(t *testing.T) {
	s := newOfflineSite(t, 0)
	for _, args := range [][]string{{"check", "--least-renewed", "--all"}, {"check", "-a", "--all"}, {"check", "--all", "gen:1"}, {"check", "--leases-only", "--least-renewed"}} {
		if code, _, errOut := s.run(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d\n%s", args, code, errOut)
		}
	}
	// No backups: nothing to ask the (absent) gateway; fine without
	// --max-age, stale with it.
	if code, _, errOut := s.run(t, "", "check"); code != 0 || !strings.Contains(errOut, "0 objects") {
		t.Errorf("check: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := s.run(t, "", "check", "--max-age", "24h"); code != exitDifferences {
		t.Errorf("check --max-age: exit %d\n%s", code, errOut)
	}
}
