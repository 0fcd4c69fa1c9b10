package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/resultfile"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// resultSite is a site whose backups are also appended to a result file
// and linked into a mutable directory under "{name}" (so that two backups
// of one snapshot share a link name).
type resultSite struct {
	*site
	linkDir    lafsapi.Cap
	resultFile string
}

func newResultSite(t *testing.T, url string, c *lafsapi.Client) *resultSite {
	t.Helper()
	dir, err := c.MkdirMutable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := &resultSite{site: newSite(t, url, ""), linkDir: dir}
	s.resultFile = filepath.Join(s.dir, "caps.txt")
	cfg, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(cfg), "destination:\n", fmt.Sprintf(
		"destination:\n  result: {append_to_file: %s, append_to_lafs_dir: '%s', link_name: '{name}'}\n",
		s.resultFile, dir.Secret()), 1)
	if err := os.WriteFile(s.config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *site) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runMain(t, append([]string{"-c", s.config}, args...)...)
}

func (s *site) mustBackup(t *testing.T) lafsapi.Cap {
	t.Helper()
	code, out, errOut := s.backup(t)
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, errOut)
	}
	return rootCapOf(t, out)
}

// copyTree is cp -a (mtimes kept, so unchanged files dedup across
// snapshots).
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", from, to).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v: %s", err, out)
	}
}

// uploads counts file uploads (PUT /uri), not links (PUT ...?t=uri).
func uploads(reqs []string) int {
	n := 0
	for _, r := range reqs {
		if strings.HasPrefix(r, "PUT /uri") && !strings.Contains(r, "t=uri") {
			n++
		}
	}
	return n
}

func countMatching(reqs []string, substr string) int {
	n := 0
	for _, r := range reqs {
		if strings.Contains(r, substr) {
			n++
		}
	}
	return n
}

// treeCensus walks roots with the gateway's manifest: distinct objects
// with shares (non-LIT), distinct directories (LIT ones too), and the
// storage index of each path of each root.
type census struct {
	shared, dirs int
	si           map[string]string // "root#/path" -> storage index
}

func treeCensus(t *testing.T, c *lafsapi.Client, roots []lafsapi.Cap) census {
	t.Helper()
	seen := map[string]bool{}
	cs := census{si: map[string]string{}}
	for i, r := range roots {
		err := c.StreamManifest(context.Background(), r, func(u lafsapi.ManifestUnit) error {
			if u.Type == "stats" {
				return nil
			}
			cs.si[fmt.Sprintf("%d/%s", i, strings.Join(u.Path, "/"))] = u.StorageIndex
			if seen[u.Cap.Secret()] {
				return nil
			}
			seen[u.Cap.Secret()] = true
			if u.Type == "directory" {
				cs.dirs++
			}
			if u.StorageIndex != "" {
				cs.shared++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return cs
}

// leaseExpiry reads the latest lease expiry (unix seconds) of every share
// of storage index si on the grid's storage nodes, straight from the share
// files (immutable share format, versions 1 and 2 alike: version, data
// length and lease count as 4-byte big-endian numbers, then the data, then
// the leases, 72 bytes each, ending in a 4-byte expiry time).
func leaseExpiry(t *testing.T, g *testgrid.Grid, si string) []uint32 {
	t.Helper()
	var out []uint32
	for i := range g.StorageNodes() {
		files, _ := filepath.Glob(filepath.Join(g.StorageDir(i), "shares", si[:2], si, "*"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if v := binary.BigEndian.Uint32(data); v != 1 && v != 2 {
				t.Fatalf("%s: not an immutable share (version %d)", f, v)
			}
			n := uint64(binary.BigEndian.Uint32(data[8:]))
			var latest uint32
			for l := uint64(0); l < n; l++ {
				end := len(data) - int(l*72)
				latest = max(latest, binary.BigEndian.Uint32(data[end-4:end]))
			}
			out = append(out, latest)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no share of %s on any storage node", si)
	}
	return out
}

// dumpShareLeases is what `tahoe debug dump-share --leases-only` says of
// one share of si, for the log of a failing test.
func dumpShareLeases(g *testgrid.Grid, si string) string {
	files, _ := filepath.Glob(filepath.Join(g.StorageDir(0), "shares", si[:2], si, "*"))
	if len(files) == 0 {
		return "(no share on node 0)"
	}
	out, err := g.Tahoe("debug", "dump-share", "--leases-only", files[0])
	if err != nil {
		return err.Error()
	}
	return out
}

// Five backups with changes between them, then list, check (K=5 lease
// renewal: request bounds, leases really renewed), cleanup --keep-last 2
// (dry run, then for real: cache rows, result file and links) and a
// backup after it.
func TestLifecycleOnTheSharedGrid(t *testing.T) {
	g := testgrid.Shared(t)
	proxy := testgrid.NewCountingProxy(t, g.URL())
	c := client(t, g.URL())
	s := newResultSite(t, proxy.URL(), c)
	snap := func(n string) string { return filepath.Join(s.snaps, "snap."+n) }

	// gen 1..5: snap.1, snap.2, snap.3, snap.3 again (changed: its link
	// name repeats), snap.5. Each adds a file of its own to only/.
	var roots []lafsapi.Cap
	mixedTree(t, snap("1"))
	// Every file gets an mtime an hour old, as a snapshot copied from an
	// older source has: it is cached although just written (a file whose
	// mtime is within RacyMargin of its read is not), as the subtests'
	// counts of rows expect.
	mustWrite(t, filepath.Join(snap("1"), "only/1.bin"), randomBytes(5000))
	ageFiles(t, snap("1"))
	roots = append(roots, s.mustBackup(t))
	for _, n := range []string{"2", "3"} {
		prev := filepath.Join(s.snaps, fmt.Sprintf("snap.%c", n[0]-1))
		copyTree(t, prev, snap(n))
		os.RemoveAll(filepath.Join(snap(n), "only"))
		mustWrite(t, filepath.Join(snap(n), "only", n+".bin"), randomBytes(5000))
		ageFiles(t, snap(n))
		roots = append(roots, s.mustBackup(t))
	}
	mustWrite(t, filepath.Join(snap("3"), "only/3b.bin"), randomBytes(5000))
	ageFiles(t, snap("3"))
	roots = append(roots, s.mustBackup(t))
	copyTree(t, snap("3"), snap("5"))
	os.RemoveAll(filepath.Join(snap("5"), "only"))
	mustWrite(t, filepath.Join(snap("5"), "only/5.bin"), randomBytes(5000))
	ageFiles(t, snap("5"))
	roots = append(roots, s.mustBackup(t))

	t.Run("list", func(t *testing.T) {
		code, out, errOut := s.run(t, "list")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != 6 || !strings.HasPrefix(lines[0], "GEN") {
			t.Fatalf("exit %d, %d lines\n%s\n%s", code, len(lines), lafsapi.RedactCaps(out), errOut)
		}
		for i, l := range lines[1:] {
			f := strings.Fields(l)
			if f[0] != fmt.Sprint(i+1) || f[len(f)-1] != roots[i].Secret() || f[3] != "ok" {
				t.Errorf("row %d: %q", i+1, lafsapi.RedactCaps(l))
			}
		}
		code, out, _ = s.run(t, "--json", "list")
		var gens []int64
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var row struct {
				Generation int64  `json:"generation"`
				Cap        string `json:"cap"`
			}
			if err := json.Unmarshal([]byte(l), &row); err != nil {
				t.Fatalf("--json line %q: %v", lafsapi.RedactCaps(l), err)
			}
			gens = append(gens, row.Generation)
		}
		if code != 0 || !slices.Equal(gens, []int64{1, 2, 3, 4, 5}) {
			t.Errorf("--json: exit %d, generations %v", code, gens)
		}
		if code, out, _ := s.run(t, "list", "-g"); code != 0 || strings.Count(out, "\n") != 1 {
			t.Errorf("list -g with nothing dangling: exit %d\n%s", code, out)
		}
	})

	cs := treeCensus(t, c, roots)
	t.Run("check renews each distinct object once", func(t *testing.T) {
		si := cs.si["0/snap.1/only/1.bin"] // in generation 1 only: not in the deep-checked newest
		if si == "" {
			t.Fatal("no storage index for only/1.bin of generation 1")
		}
		before := leaseExpiry(t, g, si)
		time.Sleep(2 * time.Second) // expiry times are whole seconds
		proxy.Reset()
		code, out, errOut := s.run(t, "check")
		if code != 0 || out != "" {
			t.Fatalf("check: exit %d\nstdout %s\nstderr %s", code, out, errOut)
		}
		reqs := proxy.Requests()
		checks := countMatching(reqs, "t=check")
		deep := countMatching(reqs, "t=stream-deep-check")
		t.Logf("%d distinct objects with shares, %d distinct directories; %d requests", cs.shared, cs.dirs, len(reqs))
		// One t=check per distinct object with shares, one for the link
		// directory, and one deep-check of the newest backup.
		if checks+deep < cs.shared || float64(checks+deep) > 1.2*float64(cs.shared) {
			t.Errorf("%d check requests (%d t=check, %d deep) for %d distinct objects: want between 1 and 1.2 times as many",
				checks+deep, checks, deep, cs.shared)
		}
		if checks != cs.shared+1 || deep != 1 {
			t.Errorf("%d t=check and %d deep-checks, want %d and 1", checks, deep, cs.shared+1)
		}
		if gets := countMatching(reqs, "GET /uri/"); gets != cs.dirs {
			t.Errorf("%d directory reads for %d distinct directories", gets, cs.dirs)
		}
		if countMatching(reqs, "add-lease=true") != checks+deep {
			t.Error("a check went without add-lease")
		}
		if !strings.Contains(errOut, fmt.Sprintf("leases renewed on %d objects", cs.shared)) ||
			!strings.Contains(errOut, " 0 unhealthy, 0 unrecoverable") {
			t.Errorf("summary:\n%s", errOut)
		}
		after := leaseExpiry(t, g, si)
		for i := range before {
			if after[i] < before[i]+2 {
				t.Errorf("share %d of only/1.bin: lease expiry %d before check, %d after: not renewed\n%s",
					i, before[i], after[i], dumpShareLeases(g, si))
			}
		}
		db := openDB(t, s.site)
		for _, b := range mustBackups(t, db) {
			if b.LeasesRenewedAt.IsZero() || b.HealthyAt.IsZero() {
				t.Errorf("gen %d not marked renewed and healthy", b.Generation)
			}
		}
	})

	t.Run("cleanup -e -n lists what only the removed backups reach", func(t *testing.T) {
		want := map[string]bool{}
		for k, si := range cs.si {
			if k[0] <= '2' && si != "" {
				want[si] = true
			}
		}
		for k, si := range cs.si {
			if k[0] > '2' {
				delete(want, si)
			}
		}
		file := filepath.Join(t.TempDir(), "sis.txt")
		code, out, errOut := s.run(t, "cleanup", "--keep-last", "2", "-e="+file, "-n")
		if code != 0 || out != "" {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		data, _ := os.ReadFile(file)
		got := strings.Fields(string(data))
		slices.Sort(got)
		if !slices.Equal(got, slices.Sorted(mapKeys(want))) || len(got) == 0 {
			t.Errorf("storage indexes %v\nwant %v", got, slices.Sorted(mapKeys(want)))
		}
		if n := len(mustBackups(t, openDB(t, s.site))); n != 5 {
			t.Errorf("-n removed backups: %d left", n)
		}
	})

	dbBefore := generationCounts(t, s.site)
	resultBefore, _ := os.ReadFile(s.resultFile)
	t.Run("cleanup --dry-run", func(t *testing.T) {
		proxy.Reset()
		code, out, errOut := s.run(t, "cleanup", "--keep-last", "2", "--dry-run")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		var removed []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "remove ") {
				removed = append(removed, strings.Fields(l)[1])
			}
		}
		if !slices.Equal(removed, []string{"gen:1", "gen:2", "gen:3"}) {
			t.Errorf("dry run removes %v\n%s", removed, out)
		}
		if n := proxy.Count(); n != 0 {
			t.Errorf("dry run sent %d requests", n)
		}
		if after := generationCounts(t, s.site); !slices.Equal(after, dbBefore) {
			t.Errorf("dry run changed the cache: %v -> %v", dbBefore, after)
		}
		if data, _ := os.ReadFile(s.resultFile); string(data) != string(resultBefore) {
			t.Error("dry run changed append_to_file")
		}
		if n := len(links(t, c, s.linkDir)); n != 4 {
			t.Errorf("%d links after a dry run, want 4", n)
		}
	})

	t.Run("cleanup --keep-last 2", func(t *testing.T) {
		code, _, errOut := s.run(t, "cleanup", "--keep-last", "2")
		if code != 0 || !strings.Contains(errOut, "removed 3 backups") {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		var want []string
		for _, gc := range dbBefore {
			if gc.Generation > 3 {
				want = append(want, fmt.Sprint(gc))
			}
		}
		if after := generationCounts(t, s.site); fmt.Sprint(after) != fmt.Sprint(want) {
			t.Errorf("cache generations %v, want %v (those of 4 and 5 untouched)", after, want)
		}
		lk := links(t, c, s.linkDir)
		if len(lk) != 2 || !lk["snap.3"].Equal(roots[3]) || !lk["snap.5"].Equal(roots[4]) {
			t.Errorf("links left: %v", slices.Sorted(mapKeys(lk)))
		}
		lines, err := resultfile.Read(s.resultFile)
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 2 || lines[0].Generation != 4 || lines[1].Generation != 5 {
			t.Errorf("append_to_file holds %d lines", len(lines))
		}
		if code, out, _ := s.run(t, "list"); code != 0 || strings.Count(out, "\n") != 3 {
			t.Errorf("list after cleanup:\n%s", lafsapi.RedactCaps(out))
		}
	})

	t.Run("check --least-renewed, the old -a and --all deep-check", func(t *testing.T) {
		// gen:5 renewed now, so gen:4 is the one renewed longest ago.
		if code, out, errOut := s.run(t, "check", "gen:5"); code != 0 || out != "" {
			t.Fatalf("check gen:5: exit %d\n%s\n%s", code, out, errOut)
		}
		before := map[int64]time.Time{}
		for _, b := range mustBackups(t, openDB(t, s.site)) {
			before[b.Generation] = b.LeasesRenewedAt
		}
		// checkOne runs check with flag and wants it to deep-check gen
		// alone, with want on stderr.
		checkOne := func(flag string, gen int64, want string) {
			t.Helper()
			proxy.Reset()
			if code, _, errOut := s.run(t, "check", flag); code != 0 || !strings.Contains(errOut, want) {
				t.Fatalf("check %s: exit %d\n%s", flag, code, errOut)
			}
			if n := countMatching(proxy.Requests(), "t=stream-deep-check"); n != 1 {
				t.Errorf("check %s sent %d deep-checks", flag, n)
			}
			for _, b := range mustBackups(t, openDB(t, s.site)) {
				if moved := b.LeasesRenewedAt.After(before[b.Generation]); moved != (b.Generation == gen) {
					t.Errorf("check %s: gen %d renewal moved: %v", flag, b.Generation, moved)
				}
				before[b.Generation] = b.LeasesRenewedAt
			}
		}
		checkOne("--least-renewed", 4, "check: 1 backup, ")
		// An old crontab's -a still means the least renewed (now gen:5),
		// never --all, and says what to write instead.
		checkOne("-a", 5, "-a is deprecated: it means --least-renewed")
		proxy.Reset()
		if code, _, errOut := s.run(t, "check", "--all"); code != 0 {
			t.Fatalf("check --all: exit %d\n%s", code, errOut)
		}
		if n := countMatching(proxy.Requests(), "t=stream-deep-check"); n != 2 {
			t.Errorf("check --all sent %d deep-checks for 2 backups", n)
		}
	})

	t.Run("the next backup reuses what the kept backups hold", func(t *testing.T) {
		copyTree(t, snap("5"), snap("6"))
		mustWrite(t, filepath.Join(snap("6"), "only/6.bin"), randomBytes(5000))
		copyTree(t, filepath.Join(snap("1"), "only/1.bin"), filepath.Join(snap("6"), "only/1.bin"))
		proxy.Reset()
		s.mustBackup(t)
		// 6.bin is new; 1.bin's cache row went with generation 1, so it is
		// uploaded again; every shared file is reused.
		if n := uploads(proxy.Requests()); n != 2 {
			t.Errorf("%d uploads, want 2 (only/6.bin, and only/1.bin whose row cleanup removed): %v", n, proxy.Requests())
		}
	})
}

func openDB(t *testing.T, s *site) *entrycache.DB {
	t.Helper()
	db, err := entrycache.Open(context.Background(), filepath.Join(s.dir, "cache.sqlite"), entrycache.Options{NoCreate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustBackups(t *testing.T, db *entrycache.DB) []entrycache.Backup {
	t.Helper()
	bs, err := db.Backups(context.Background(), entrycache.BackupFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

func generationCounts(t *testing.T, s *site) []entrycache.GenerationCount {
	t.Helper()
	gs, err := openDB(t, s).Generations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return gs
}

func links(t *testing.T, c *lafsapi.Client, dir lafsapi.Cap) map[string]lafsapi.Cap {
	t.Helper()
	n, err := c.Info(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]lafsapi.Cap{}
	for name, ch := range n.Children {
		out[name] = ch.ReadCap
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

var problemLine = regexp.MustCompile(`^(unhealthy|unrecoverable|unreadable|repaired) +gen:(\d+) [^:]+: (.*?): `)

// problemPaths maps each reported kind to the paths reported with it.
func problemPaths(out string) map[string][]string {
	m := map[string][]string{}
	for _, l := range strings.Split(out, "\n") {
		if p := problemLine.FindStringSubmatch(l); p != nil {
			m[p[1]] = append(m[p[1]], p[3])
		}
	}
	return m
}

// Stopping storage nodes makes objects unhealthy, then unrecoverable;
// deleting a node's shares makes them unhealthy while every node is up,
// and --repair puts them back. A grid of its own: nodes stop.
func TestCheckOnAFaultyGrid(t *testing.T) {
	g := testgrid.New(t, testgrid.Options{})
	s := newSite(t, g.URL(), "")
	mixedTree(t, filepath.Join(s.snaps, "snap.1"))
	s.mustBackup(t)

	if code, out, errOut := s.run(t, "check"); code != 0 || out != "" {
		t.Fatalf("healthy grid: exit %d\n%s\n%s", code, out, errOut)
	}
	// Pointed at another grid, check refuses instead of calling every
	// backup lost.
	other := filepath.Join(s.dir, "other.yaml")
	cfg, _ := os.ReadFile(s.config)
	os.WriteFile(other, []byte(strings.Replace(string(cfg), g.URL(), testgrid.Shared(t).URL(), 1)), 0o600)
	if code, out, errOut := runMain(t, "-c", other, "check"); code != exitUsage || !strings.Contains(errOut, "--accept-grid") {
		t.Errorf("another grid: exit %d\n%s\n%s", code, out, errOut)
	}
	if b := mustBackups(t, openDB(t, s))[0]; !b.HealthyAt.Equal(b.CheckedAt) {
		t.Error("the refused check marked the backup")
	}

	if err := g.StopStorage(0); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := s.run(t, "check")
	paths := problemPaths(out)
	if code != exitDifferences || len(paths["unhealthy"]) == 0 || len(paths["unrecoverable"]) != 0 {
		t.Errorf("one node down: exit %d, want %d\n%s\n%s", code, exitDifferences, out, errOut)
	}
	if !slices.Contains(paths["unhealthy"], "snap.1/data/random.bin") {
		t.Errorf("random.bin not reported unhealthy by path: %v", paths["unhealthy"])
	}

	for _, i := range []int{1, 2} {
		if err := g.StopStorage(i); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut = s.run(t, "check")
	if code != exitUnrecoverable || len(problemPaths(out)["unrecoverable"]) == 0 {
		t.Errorf("three of four nodes down: exit %d, want %d\n%s\n%s", code, exitUnrecoverable, out, errOut)
	}
	db := openDB(t, s)
	if b := mustBackups(t, db)[0]; b.CheckedAt.IsZero() || !b.HealthyAt.Before(b.CheckedAt) {
		t.Errorf("an unhealthy check moved healthy_at: checked %v healthy %v", b.CheckedAt, b.HealthyAt)
	}

	for _, i := range []int{0, 1, 2} {
		if err := g.StartStorage(i); err != nil {
			t.Fatal(err)
		}
	}
	if code, out, errOut := s.run(t, "check"); code != 0 {
		t.Fatalf("nodes back: exit %d\n%s\n%s", code, out, errOut)
	}

	// Delete node 0's shares while every node runs.
	if err := os.RemoveAll(filepath.Join(g.StorageDir(0), "shares")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(g.StorageDir(0), "shares"), 0o700); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = s.run(t, "check", "--no-lease")
	if code != exitDifferences || !slices.Contains(problemPaths(out)["unhealthy"], "snap.1/data/random.bin") {
		t.Fatalf("shares deleted: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = s.run(t, "check", "--repair")
	if code != 0 || !slices.Contains(problemPaths(out)["repaired"], "snap.1/data/random.bin") {
		t.Errorf("--repair: exit %d\n%s\n%s", code, out, errOut)
	}
	if m := regexp.MustCompile(`(\d+) repaired`).FindStringSubmatch(errOut); m == nil || m[1] == "0" {
		t.Errorf("--repair summary: %s", errOut)
	}
	if code, out, errOut := s.run(t, "check", "--no-lease"); code != 0 || out != "" {
		t.Errorf("after repair: exit %d\n%s\n%s", code, out, errOut)
	}
}
