package entrycache

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// genRun is one backup run in these tests: objects put and used, subtree
// rows put and reused, and the backup recorded.
type genRun struct {
	put, use       []string // object keys
	putSub, useSub []string // subtree keys
}

func (g genRun) do(t *testing.T, db *DB) Run {
	t.Helper()
	r, _ := mustBegin(t, db, "/src", false)
	b := db.NewBatch(r)
	for _, key := range g.put {
		mustPut(t, b, key, KindFile)
	}
	for _, key := range g.use {
		b.Use(k(key))
	}
	for _, key := range g.putSub {
		if err := b.PutSubtree(Subtree{Key: k(key), Cap: "URI:DIR2-CHK:" + key, Entries: 3}); err != nil {
			t.Fatal(err)
		}
	}
	for _, key := range g.useSub {
		b.UseSubtree(k(key))
	}
	mustCommit(t, b)
	if _, err := db.RecordBackup(context.Background(), r, Backup{Name: "b", Cap: fmt.Sprintf("URI:DIR2-CHK:root%d", r.Generation), Status: StatusOK}); err != nil {
		t.Fatal(err)
	}
	return r
}

func subtreeRow(t *testing.T, db *DB, key string) (Subtree, bool) {
	t.Helper()
	s, ok, err := db.LookupSubtree(context.Background(), k(key))
	if err != nil {
		t.Fatal(err)
	}
	return s, ok
}

// A batch sees its own subtree rows; reuse bumps the subtree row alone,
// and its InnerGen stays the run that recorded it.
func TestSubtreeRows(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	r1, _ := mustBegin(t, db, "/src", false)
	b := db.NewBatch(r1)
	mustPut(t, b, "f", KindFile)
	if err := b.PutSubtree(Subtree{Key: k("S"), Cap: "URI:DIR2-CHK:S", Entries: 7}); err != nil {
		t.Fatal(err)
	}
	if s, ok, err := b.LookupSubtree(ctx, k("S")); err != nil || !ok || s.Cap != "URI:DIR2-CHK:S" || s.InnerGen != r1.Generation {
		t.Fatalf("batch LookupSubtree before commit = %+v, %v, %v", s, ok, err)
	}
	if _, ok := subtreeRow(t, db, "S"); ok {
		t.Fatal("subtree row committed before Commit")
	}
	mustCommit(t, b)
	s, ok := subtreeRow(t, db, "S")
	if !ok || s.Entries != 7 || s.Generation != r1.Generation || s.InnerGen != r1.Generation || s.RenewedAt.IsZero() {
		t.Fatalf("after commit: %+v, %v", s, ok)
	}
	if err := b.PutSubtree(Subtree{Key: k("bad")}); err == nil {
		t.Error("PutSubtree with no cap accepted")
	}

	r2, _ := mustBegin(t, db, "/src", false)
	b2 := db.NewBatch(r2)
	b2.UseSubtree(k("S"))
	b2.UseSubtree(k("unknown")) // no row: nothing happens
	if s, _, _ := b2.LookupSubtree(ctx, k("S")); s.Generation != r2.Generation {
		t.Errorf("batch LookupSubtree after UseSubtree: generation %d, want %d", s.Generation, r2.Generation)
	}
	mustCommit(t, b2)
	s, _ = subtreeRow(t, db, "S")
	if s.Generation != r2.Generation || s.InnerGen != r1.Generation {
		t.Errorf("reused subtree: generation %d inner %d, want %d and %d", s.Generation, s.InnerGen, r2.Generation, r1.Generation)
	}
	if g, _ := objectGen(t, db, "f"); g != r1.Generation {
		t.Errorf("a row inside was bumped to %d", g)
	}
	if _, ok := subtreeRow(t, db, "unknown"); ok {
		t.Error("UseSubtree created a row")
	}
}

// The cleanup case of issue 15: a backup that reused a subtree keeps the
// rows inside it when the backup that recorded them goes, so that one
// file changed deep inside later costs only its path; when no kept
// backup needs them any more they go. The rows of a generation move as a
// whole, to the newest generation among the subtree rows that need them
// (rows outside those subtrees live that long too).
func TestDeleteGenerationsKeepsRowsOfKeptSubtrees(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	// Run 1 builds everything: files f1 f2 in T, g outside T, T inside S.
	g1 := genRun{put: []string{"f1", "f2", "dirT", "g", "dirS"}, putSub: []string{"T", "S"}}.do(t, db)
	// Run 2 reuses S whole.
	g2 := genRun{useSub: []string{"S"}}.do(t, db)
	// Run 3 changed g (new row g'), reused T, rebuilt S as S'.
	g3 := genRun{put: []string{"g'", "dirS'"}, putSub: []string{"S'"}, useSub: []string{"T"}}.do(t, db)
	inner := []string{"f1", "f2", "dirT", "g", "dirS"}

	if _, err := db.DeleteGenerations(ctx, []int64{g1.Generation}); err != nil {
		t.Fatal(err)
	}
	for _, key := range inner {
		if gen, ok := objectGen(t, db, key); !ok || gen != g3.Generation {
			t.Errorf("%s: present %v at %d after deleting generation 1; want kept, at %d (T, reused by 3, and S, by 2, hold it)", key, ok, gen, g3.Generation)
		}
	}
	if s, ok := subtreeRow(t, db, "T"); !ok || s.Generation != g3.Generation || s.InnerGen != g3.Generation {
		t.Errorf("T = %+v, %v; want generation %d with its rows now at %d", s, ok, g3.Generation, g3.Generation)
	}
	if s, ok := subtreeRow(t, db, "S"); !ok || s.Generation != g2.Generation {
		t.Errorf("S = %+v, %v; want kept at %d", s, ok, g2.Generation)
	}

	// Backup 2 goes: its subtree row S with it; the rows stay for 3.
	if _, err := db.DeleteGenerations(ctx, []int64{g2.Generation}); err != nil {
		t.Fatal(err)
	}
	if _, ok := subtreeRow(t, db, "S"); ok {
		t.Error("S survived the deletion of the last generation that used it")
	}
	for _, key := range append(inner, "g'", "dirS'") {
		if _, ok := objectGen(t, db, key); !ok {
			t.Errorf("after deleting 1 and 2: %s gone", key)
		}
	}
	// The last backup goes: nothing is left.
	if _, err := db.DeleteGenerations(ctx, []int64{g3.Generation}); err != nil {
		t.Fatal(err)
	}
	if n := countObjects(t, db); n != 0 {
		t.Errorf("%d objects left after deleting every generation", n)
	}
	if _, ok := subtreeRow(t, db, "T"); ok {
		t.Error("T left after deleting every generation")
	}
}

// A subtree row only its own doomed generation used protects nothing.
func TestDeleteGenerationsUnneededSubtree(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	g1 := genRun{put: []string{"f", "dirS"}, putSub: []string{"S"}}.do(t, db)
	genRun{put: []string{"f'", "dirS'"}, putSub: []string{"S'"}}.do(t, db)
	if _, err := db.DeleteGenerations(ctx, []int64{g1.Generation}); err != nil {
		t.Fatal(err)
	}
	for key, keep := range map[string]bool{"f": false, "dirS": false, "f'": true, "dirS'": true} {
		if _, ok := objectGen(t, db, key); ok != keep {
			t.Errorf("%s present %v, want %v", key, ok, keep)
		}
	}
}

// Deleting several generations at once follows nested subtrees: T was
// recorded by 1 and reused inside S by 2, S reused by 3; deleting 1 and 2
// keeps everything for 3.
func TestDeleteGenerationsNested(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	genRun{put: []string{"f", "dirT"}, putSub: []string{"T"}}.do(t, db)
	g2 := genRun{put: []string{"h", "dirS"}, putSub: []string{"S"}, useSub: []string{"T"}}.do(t, db)
	g3 := genRun{useSub: []string{"S"}}.do(t, db)
	if _, err := db.DeleteGenerations(ctx, []int64{g2.Generation, g2.Generation - 1}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"f", "dirT", "h", "dirS"} {
		if gen, ok := objectGen(t, db, key); !ok || gen != g3.Generation {
			t.Errorf("%s: present %v at %d, want kept at %d", key, ok, gen, g3.Generation)
		}
	}
	for _, key := range []string{"T", "S"} {
		if s, ok := subtreeRow(t, db, key); !ok || s.Generation != g3.Generation {
			t.Errorf("%s: %+v, %v; want at %d", key, s, ok, g3.Generation)
		}
	}
}

// list -g and --up-to see a generation that holds only a subtree row (an
// unchanged rerun); check marks subtree rows renewed.
func TestSubtreeRowsCountedAndRenewed(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	g1 := genRun{put: []string{"f"}, putSub: []string{"S"}}.do(t, db)
	g2 := genRun{useSub: []string{"S"}}.do(t, db)
	gens, err := db.Generations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []GenerationCount{{g1.Generation, 1, 1}, {g2.Generation, 1, 1}}
	if fmt.Sprint(gens) != fmt.Sprint(want) {
		t.Errorf("Generations = %v, want %v", gens, want)
	}
	at := time.Unix(1_900_000_000, 0)
	whole := Renewed{Subtree: func(c string) bool { return c == "URI:DIR2-CHK:S" }}
	if n, err := db.MarkRenewed(ctx, at, whole); err != nil || n != 1 {
		t.Fatalf("MarkRenewed = %d, %v; want the subtree row", n, err)
	}
	if s, _ := subtreeRow(t, db, "S"); !s.RenewedAt.Equal(at) {
		t.Errorf("subtree renewed at %v, want %v", s.RenewedAt, at)
	}
}

// A cache of schema 1 is migrated in place: its rows stay, subtree rows
// can be written.
func TestMigrateSchema1(t *testing.T) {
	path := t.TempDir() + "/cache.db"
	if err := createFile(path); err != nil {
		t.Fatal(err)
	}
	rawExec(t, path, migrations[0],
		`INSERT INTO lafs_meta (key, value) VALUES ('schema_version', 1)`,
		`INSERT INTO objects (key, cap, kind, generation, uploaded_at, renewed_at) VALUES (zeroblob(32), 'URI:CHK:old', 'file', 1, 1, 1)`)
	db := openTest(t, path)
	wantCurrentSchema(t, db)
	if n := countObjects(t, db); n != 1 {
		t.Errorf("%d objects after the migration, want the 1 there was", n)
	}
	genRun{putSub: []string{"S"}}.do(t, db)
	if _, ok := subtreeRow(t, db, "S"); !ok {
		t.Error("no subtree row after the migration")
	}
}

// wantCurrentSchema fails unless db records this build's schema version.
func wantCurrentSchema(t *testing.T, db *DB) {
	t.Helper()
	var v int
	if err := db.r.QueryRow(`SELECT value FROM lafs_meta WHERE key = 'schema_version'`).Scan(&v); err != nil || v != SchemaVersion {
		t.Fatalf("schema version %d, %v; want %d", v, err, SchemaVersion)
	}
}
