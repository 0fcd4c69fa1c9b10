package lifecycle

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/lafsapi/lafstest"
	"github.com/lafs-backup/lafs-backup/resultfile"
)

func tempDB(t *testing.T) *entrycache.DB {
	t.Helper()
	db, err := entrycache.Open(context.Background(), filepath.Join(t.TempDir(), "cache.sqlite"), entrycache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// recordBackup makes a run that uses the given objects (cache keys from names)
// and records its backup with cap c; it returns the backup.
func recordBackup(t *testing.T, db *entrycache.DB, source, name string, c lafsapi.Cap, finished time.Time, objects ...string) entrycache.Backup {
	t.Helper()
	ctx := context.Background()
	run, _, err := db.BeginRun(ctx, source, false)
	if err != nil {
		t.Fatal(err)
	}
	batch := db.NewBatch(run)
	for _, o := range objects {
		key := entrycache.Key([]byte(o))
		if _, ok, _ := batch.Lookup(ctx, key); ok {
			batch.Use(key)
			continue
		}
		if err := batch.Put(entrycache.Object{Key: key, Cap: "URI:LIT:" + b32(len(o), 4), Kind: entrycache.KindFile}); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := db.RecordBackup(ctx, run, entrycache.Backup{Name: name, Cap: c.Secret(), Status: entrycache.StatusOK, Finished: finished})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hasKey(t *testing.T, db *entrycache.DB, o string) bool {
	_, ok, err := db.Lookup(context.Background(), entrycache.Key([]byte(o)))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func gensOf(bs []entrycache.Backup) []int64 {
	var out []int64
	for _, b := range bs {
		out = append(out, b.Generation)
	}
	return out
}

func TestPlan(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 1, d, 12, 0, 0, 0, time.UTC) }
	var all []entrycache.Backup
	for g := int64(1); g <= 5; g++ {
		all = append(all, entrycache.Backup{ID: g * 10, Generation: g * 2, Source: "s", Finished: day(int(g)), Status: entrycache.StatusOK})
	}
	// Generations 2,4,6,8,10 carry backups; 3 and 7 are dangling.
	gens := []entrycache.GenerationCount{{Generation: 2}, {Generation: 3}, {Generation: 4}, {Generation: 6}, {Generation: 7}, {Generation: 10}}
	cases := []struct {
		name       string
		sel        Selection
		wantRemove []int64
		wantGens   []int64
		wantErr    bool
	}{
		{"nothing", Selection{}, nil, nil, false},
		{"by id", Selection{IDs: []int64{20}}, []int64{4}, []int64{4}, false},
		{"by generation, dangling too", Selection{Generations: []int64{6, 7}}, []int64{6}, []int64{6, 7}, false},
		{"up to", Selection{UpTo: 6}, []int64{2, 4, 6}, []int64{2, 3, 4, 6}, false},
		{"up to and a generation", Selection{UpTo: 2, Generations: []int64{10}}, []int64{2, 10}, []int64{2, 10}, false},
		{"policy", Selection{Policy: Policy{Last: 2}}, []int64{2, 4, 6}, []int64{2, 4, 6}, false},
		{"policy with ids", Selection{Policy: Policy{Last: 2}, IDs: []int64{10}}, nil, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Plan(all, gens, c.sel)
			if (err != nil) != c.wantErr {
				t.Fatalf("err %v", err)
			}
			if err != nil {
				return
			}
			if g := gensOf(p.Remove); !slices.Equal(g, c.wantRemove) {
				t.Errorf("remove %v, want %v", g, c.wantRemove)
			}
			if !slices.Equal(p.Generations, c.wantGens) {
				t.Errorf("cache generations %v, want %v", p.Generations, c.wantGens)
			}
			if len(p.Remove)+len(p.Keep) != len(all) {
				t.Errorf("%d removed + %d kept of %d", len(p.Remove), len(p.Keep), len(all))
			}
		})
	}
}

// A generation two backups carry (possible in an imported database) is
// not deleted while one of them is kept.
func TestPlanKeepsAGenerationAKeptBackupCarries(t *testing.T) {
	all := []entrycache.Backup{{ID: 1, Generation: 5, Status: entrycache.StatusOK}, {ID: 2, Generation: 5, Status: entrycache.StatusOK}}
	p, err := Plan(all, nil, Selection{IDs: []int64{1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Remove) != 1 || len(p.Generations) != 0 {
		t.Errorf("plan %+v", p)
	}
}

func TestCleanup(t *testing.T) {
	ctx := context.Background()
	db := tempDB(t)
	f := newFakeGrid(t)
	linkDir, err := lafsapi.ParseCap("URI:DIR2:" + b32(1, 26) + ":" + b32(2, 52))
	if err != nil {
		t.Fatal(err)
	}
	c1, c2, c4 := newCap(t, true), newCap(t, true), newCap(t, true)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	// gen 1: a b; gen 2: a b c (c new); gen 3 same cap as 2 (unchanged
	// rerun); gen 4: a d.
	b1 := recordBackup(t, db, "s", "snap", c1, t0, "a", "b")
	b2 := recordBackup(t, db, "s", "snap", c2, t0.Add(time.Hour), "a", "b", "c")
	b3 := recordBackup(t, db, "s", "snap", c2, t0.Add(2*time.Hour), "b", "c")
	b4 := recordBackup(t, db, "s", "snap", c4, t0.Add(3*time.Hour), "a", "d")
	// Links named {name}.{gen} for 1 and 2, and the shared name "snap"
	// pointing to the newest.
	f.SetDir(linkDir, map[string]lafsapi.Child{"snap.1": {Cap: c1}, "snap.2": {Cap: c2}, "snap.3": {Cap: c2}, "snap": {Cap: c4}})
	rf := filepath.Join(t.TempDir(), "caps.txt")
	lines := []resultfile.Line{
		{Time: t0, Generation: 1, Source: "/s/snap", Cap: c1.Secret()},
		{Time: t0, Generation: 2, Source: "/s/snap", Cap: c2.Secret()},
		{Time: t0, Generation: 3, Source: "/s/snap", Cap: c2.Secret()},
		{Time: t0, Generation: 4, Source: "/s/snap", Cap: c4.Secret()},
	}
	for _, l := range lines {
		if err := resultfile.Append(rf, l); err != nil {
			t.Fatal(err)
		}
	}
	// A foreign line, a blank line and an original-tool line for c1.
	fh, _ := os.OpenFile(rf, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(fh, "# operator's note\n\n2013-01-01T00:00:00 /s/snap %s\n", c1.Secret())
	fh.Close()

	backups, _ := db.Backups(ctx, entrycache.BackupFilter{})
	gens, _ := db.Generations(ctx)
	p, err := Plan(backups, gens, Selection{IDs: []int64{b1.ID, b2.ID}})
	if err != nil {
		t.Fatal(err)
	}
	opts := CleanupOptions{LinkDir: linkDir, ResultFile: rf,
		LinkName: func(name string, gen int64) string { return fmt.Sprintf("%s.%d", name, gen) }}
	res, err := Cleanup(ctx, db, f.c, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if g := gensOf(res.Removed); !slices.Equal(g, []int64{1, 2}) {
		t.Errorf("removed %v", g)
	}
	// snap.1 unlinked; snap.2 kept since backup 3 (kept) holds the same cap.
	if _, ok := f.links(linkDir)["snap.1"]; ok {
		t.Error("snap.1 still linked")
	}
	if _, ok := f.links(linkDir)["snap.2"]; !ok {
		t.Error("snap.2 unlinked although a kept backup holds its cap")
	}
	if res.LinksRemoved != 1 || res.LinksLeft != 1 {
		t.Errorf("links removed %d, left %d", res.LinksRemoved, res.LinksLeft)
	}
	// Cache: gen 1 rows (none left: a, b were bumped) and gen 2 rows (a,
	// bumped to 4; c bumped to 3) -> nothing of kept backups lost.
	for _, o := range []string{"a", "b", "c", "d"} {
		if !hasKey(t, db, o) {
			t.Errorf("cache row %s lost", o)
		}
	}
	data, _ := os.ReadFile(rf)
	text := string(data)
	if strings.Contains(text, c1.Secret()) || strings.Contains(text, "gen:1 ") {
		t.Errorf("lines of backup 1 survive:\n%s", lafsapi.RedactCaps(text))
	}
	if !strings.Contains(text, "gen:2 ") || !strings.Contains(text, "gen:3 ") || !strings.Contains(text, "# operator's note\n\n") {
		t.Errorf("kept or foreign lines lost:\n%s", lafsapi.RedactCaps(text))
	}
	if res.LinesRemoved != 2 {
		t.Errorf("lines removed %d", res.LinesRemoved)
	}
	left, _ := db.Backups(ctx, entrycache.BackupFilter{})
	if g := gensOf(left); !slices.Equal(g, []int64{3, 4}) {
		t.Errorf("backups left %v", g)
	}

	// Now remove 3 and 4 with the link name "{name}": "snap" points to 4's cap.
	opts.LinkName = func(name string, _ int64) string { return name }
	backups, _ = db.Backups(ctx, entrycache.BackupFilter{})
	p, _ = Plan(backups, nil, Selection{IDs: []int64{b3.ID}})
	if _, err := Cleanup(ctx, db, f.c, p, opts); err != nil {
		t.Fatal(err)
	}
	if got := f.links(linkDir)["snap"]; !got.Equal(c4) {
		t.Error("the link of a newer backup under the same name was removed")
	}
	if hasKey(t, db, "c") || hasKey(t, db, "b") {
		t.Error("rows only generation 3 used survive")
	}
	if !hasKey(t, db, "a") || !hasKey(t, db, "d") {
		t.Error("rows of generation 4 lost")
	}
	data, _ = os.ReadFile(rf)
	if strings.Contains(string(data), c2.Secret()) {
		t.Errorf("lines holding the removed cap survive:\n%s", lafsapi.RedactCaps(string(data)))
	}
	_ = b4
}

// A link that cannot be removed keeps its backup, its lines and its cache
// generation for a rerun.
func TestCleanupKeepsABackupWhoseLinkFails(t *testing.T) {
	ctx := context.Background()
	db := tempDB(t)
	f := newFakeGrid(t)
	linkDir, _ := lafsapi.ParseCap("URI:DIR2:" + b32(1, 26) + ":" + b32(2, 52))
	c1, c2 := newCap(t, true), newCap(t, true)
	t0 := time.Now()
	recordBackup(t, db, "s", "snap", c1, t0, "x")
	recordBackup(t, db, "s", "snap", c2, t0.Add(time.Minute), "y")
	rf := filepath.Join(t.TempDir(), "caps.txt")
	resultfile.Append(rf, resultfile.Line{Time: t0, Generation: 1, Source: "/s", Cap: c1.Secret()})
	f.SetDir(linkDir, map[string]lafsapi.Child{"snap": {Cap: c1}})
	f.Fault(lafstest.Op("unlink", lafsapi.Cap{}), lafstest.Status(503, "service unavailable"))
	backups, _ := db.Backups(ctx, entrycache.BackupFilter{})
	p, _ := Plan(backups, nil, Selection{Generations: []int64{1}})
	res, err := Cleanup(ctx, db, f.c, p, CleanupOptions{LinkDir: linkDir, ResultFile: rf,
		LinkName: func(n string, _ int64) string { return n }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 0 || len(res.Failed) != 1 {
		t.Errorf("removed %d failed %d", len(res.Removed), len(res.Failed))
	}
	if !hasKey(t, db, "x") {
		t.Error("the cache generation of a kept backup was deleted")
	}
	if data, _ := os.ReadFile(rf); !strings.Contains(string(data), "gen:1 ") {
		t.Error("the line of a kept backup was removed")
	}
	if left, _ := db.Backups(ctx, entrycache.BackupFilter{}); len(left) != 2 {
		t.Errorf("%d backups left", len(left))
	}
}

func TestEnumerateShares(t *testing.T) {
	ctx := context.Background()
	f := newFakeGrid(t)
	roots, shared, _ := generations(t, f, 3)
	kept, err := Reachable(ctx, f.c, roots[1:], 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	n, err := EnumerateShares(ctx, f.c, []lafsapi.Cap{roots[0], roots[0]}, kept, func(si string) error {
		got = append(got, si)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Only generation 0's own objects: root, tree, changed dir, its log,
	// new file. Not the shared subtree, not the LIT file.
	if n != 5 || len(got) != 5 {
		t.Errorf("%d storage indexes: %v", n, got)
	}
	for _, c := range shared {
		if slices.Contains(got, lafstest.StorageIndex(c)) {
			t.Error("a storage index a kept backup reaches was listed")
		}
	}
	// Nothing when the removed backup is itself kept.
	if n, _ := EnumerateShares(ctx, f.c, roots[1:2], kept, func(string) error { return nil }); n != 0 {
		t.Errorf("%d listed for a kept root", n)
	}
	// A kept tree that cannot be read in full is an error.
	for c := range f.dirs {
		f.gone(c)
		break
	}
	if _, err := Reachable(ctx, f.c, roots, 2); err == nil || !strings.Contains(err.Error(), "not every directory") {
		t.Errorf("err %v", err)
	}
}
