package entrycache

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestBatchSeesItsOwnWrites(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	r1, _ := mustBegin(t, db, "/src", false)
	b1 := db.NewBatch(r1)
	mustPut(t, b1, "old", KindFile)
	mustCommit(t, b1)

	r2, _ := mustBegin(t, db, "/src", false)
	b := db.NewBatch(r2)
	renewed := time.Unix(1_800_000_000, 0)
	if err := b.Put(Object{Key: k("new"), Cap: "URI:CHK:new", Kind: KindFile, Size: 7, StoredSize: 5, Enc: "xz", Probe: 0.5}); err != nil {
		t.Fatal(err)
	}
	b.Use(k("old"))
	b.Renewed(k("old"), renewed)
	b.Use(k("nothing")) // no row: harmless

	got, ok, err := b.Lookup(ctx, k("new"))
	if err != nil || !ok || got.Cap != "URI:CHK:new" || got.Generation != r2.Generation || got.Enc != "xz" || got.Probe != 0.5 {
		t.Errorf("batch Lookup(new) = %+v, %v, %v", got, ok, err)
	}
	got, ok, _ = b.Lookup(ctx, k("old"))
	if !ok || got.Generation != r2.Generation || !got.RenewedAt.Equal(renewed) || got.Cap != "URI:CHK:old" {
		t.Errorf("batch Lookup(old) = %+v, %v", got, ok)
	}
	if _, ok, _ := b.Lookup(ctx, k("nothing")); ok {
		t.Error("batch Lookup(nothing) found a row that does not exist")
	}
	// Not committed: the database does not show it yet.
	if _, ok, _ := db.Lookup(ctx, k("new")); ok {
		t.Error("uncommitted Put visible outside the batch")
	}
	if g, _ := objectGen(t, db, "old"); g != r1.Generation {
		t.Errorf("uncommitted Use visible outside the batch: generation %d", g)
	}
	if b.Pending() != 3 {
		t.Errorf("Pending = %d, want 3", b.Pending())
	}
	mustCommit(t, b)
	if b.Pending() != 0 {
		t.Errorf("Pending after Commit = %d", b.Pending())
	}
	got, ok, _ = db.Lookup(ctx, k("new"))
	if !ok || got.Generation != r2.Generation || got.Size != 7 || got.StoredSize != 5 || got.Kind != KindFile || got.UploadedAt.IsZero() {
		t.Errorf("committed new = %+v, %v", got, ok)
	}
	got, _, _ = db.Lookup(ctx, k("old"))
	if got.Generation != r2.Generation || !got.RenewedAt.Equal(renewed) {
		t.Errorf("committed old = %+v", got)
	}
	if _, ok, _ := db.Lookup(ctx, k("nothing")); ok {
		t.Error("Use of a missing key created a row")
	}
}

func TestBatchPutReplaces(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	r, _ := mustBegin(t, db, "/src", false)
	b := db.NewBatch(r)
	mustPut(t, b, "a", KindFile)
	mustCommit(t, b)
	r2, _ := mustBegin(t, db, "/src", false)
	b2 := db.NewBatch(r2)
	if err := b2.Put(Object{Key: k("a"), Cap: "URI:CHK:reuploaded", Kind: KindFile}); err != nil {
		t.Fatal(err)
	}
	b2.Use(k("a")) // after a Put: keeps the Put
	mustCommit(t, b2)
	o, _, _ := db.Lookup(ctx, k("a"))
	if o.Cap != "URI:CHK:reuploaded" || o.Generation != r2.Generation || o.Probe != 0 {
		t.Errorf("row after re-upload = %+v", o)
	}
}

func TestBatchRejectsBadObjects(t *testing.T) {
	db, _ := tempDB(t)
	r, _ := mustBegin(t, db, "/src", false)
	b := db.NewBatch(r)
	if err := b.Put(Object{Key: k("a"), Kind: KindFile}); err == nil {
		t.Error("Put without a cap accepted")
	}
	if err := b.Put(Object{Key: k("a"), Cap: "URI:CHK:a", Kind: "symlink"}); err == nil {
		t.Error("Put with an unknown kind accepted")
	}
}

func TestCloseWithoutCommitLosesOnlyTheTail(t *testing.T) {
	db, path := tempDB(t)
	r, _ := mustBegin(t, db, "/src", false)
	b := db.NewBatch(r)
	mustPut(t, b, "head1", KindFile)
	mustPut(t, b, "head2", KindDir)
	mustCommit(t, b)
	mustPut(t, b, "tail", KindFile)
	b.Use(k("head1"))
	db.Close()

	db = openTest(t, path)
	for _, key := range []string{"head1", "head2"} {
		if _, ok := objectGen(t, db, key); !ok {
			t.Errorf("committed %s lost", key)
		}
	}
	if _, ok := objectGen(t, db, "tail"); ok {
		t.Error("uncommitted tail survived")
	}
	// The rerun resumes: the committed rows are hits, the tail a miss.
	r2, resumed := mustBegin(t, db, "/src", true)
	if !resumed || r2.Generation != r.Generation {
		t.Fatalf("rerun did not resume: %+v %v", r2, resumed)
	}
}

func TestBatchFailedCommitKeepsPending(t *testing.T) {
	db, _ := tempDB(t)
	r, _ := mustBegin(t, db, "/src", false)
	b := db.NewBatch(r)
	mustPut(t, b, "a", KindFile)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Commit(ctx); err == nil {
		t.Fatal("Commit with a cancelled context succeeded")
	}
	if b.Pending() != 1 {
		t.Fatalf("failed Commit dropped its work: Pending = %d", b.Pending())
	}
	if _, ok, _ := b.Lookup(context.Background(), k("a")); !ok {
		t.Error("failed Commit hid the Put from Lookup")
	}
	mustCommit(t, b)
	if _, ok := objectGen(t, db, "a"); !ok {
		t.Error("retried Commit did not write")
	}
}

// Many goroutines Put, Use and Lookup while another commits: every key
// is always visible to Lookup, and all of it lands.
func TestBatchConcurrent(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	r, _ := mustBegin(t, db, "/src", false)
	b := db.NewBatch(r)
	const workers, per = 4, 300
	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
	done := make(chan struct{})
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				key := fmt.Sprintf("w%d-%d", w, i)
				if err := b.Put(Object{Key: k(key), Cap: "URI:CHK:" + key, Kind: KindFile}); err != nil {
					errs <- err
					return
				}
				b.Use(k(key))
				for _, back := range []int{i, i / 2} {
					want := fmt.Sprintf("w%d-%d", w, back)
					o, ok, err := b.Lookup(ctx, k(want))
					if err != nil || !ok || o.Cap != "URI:CHK:"+want {
						errs <- fmt.Errorf("Lookup(%s) = %+v, %v, %v", want, o, ok, err)
						return
					}
				}
			}
		}(w)
	}
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := b.Commit(ctx); err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(done)
	mustCommit(t, b)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := countObjects(t, db); n != workers*per {
		t.Errorf("%d rows, want %d", n, workers*per)
	}
}

// Deleting a generation removes exactly the rows last used by it; rows a
// kept generation used survive.
func TestDeleteGenerationsIsExact(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	run := func(put []string, use []string) Run {
		r, _ := mustBegin(t, db, "/src", false)
		b := db.NewBatch(r)
		for _, key := range put {
			mustPut(t, b, key, KindFile)
		}
		for _, key := range use {
			b.Use(k(key))
		}
		mustCommit(t, b)
		if _, err := db.RecordBackup(ctx, r, Backup{Name: "b", Cap: "URI:DIR2-CHK:" + fmt.Sprint(r.Generation), Status: StatusOK}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	g1 := run([]string{"A", "B", "C"}, nil)
	g2 := run([]string{"D"}, []string{"A", "B"})
	g3 := run([]string{"E"}, []string{"A"})
	want := map[string]int64{"A": g3.Generation, "B": g2.Generation, "C": g1.Generation, "D": g2.Generation, "E": g3.Generation}
	for key, g := range want {
		if got, _ := objectGen(t, db, key); got != g {
			t.Errorf("%s at generation %d, want %d", key, got, g)
		}
	}
	gens, err := db.Generations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantGens := []GenerationCount{{g1.Generation, 1, 1}, {g2.Generation, 2, 1}, {g3.Generation, 2, 1}}
	if fmt.Sprint(gens) != fmt.Sprint(wantGens) {
		t.Errorf("Generations = %v, want %v", gens, wantGens)
	}
	// Caps of the generation to remove, and of those kept.
	if got := caps(t, db, g2.Generation); fmt.Sprint(got) != "[URI:CHK:B URI:CHK:D]" {
		t.Errorf("caps of generation 2 = %v", got)
	}
	if got := caps(t, db, g1.Generation, g3.Generation); fmt.Sprint(got) != "[URI:CHK:A URI:CHK:C URI:CHK:E]" {
		t.Errorf("caps of kept generations = %v", got)
	}
	n, err := db.DeleteGenerations(ctx, []int64{g2.Generation})
	if err != nil || n != 2 {
		t.Fatalf("DeleteGenerations = %d, %v; want 2", n, err)
	}
	for key := range want {
		_, ok := objectGen(t, db, key)
		if ok != (key != "B" && key != "D") {
			t.Errorf("after deleting generation %d, %s present = %v", g2.Generation, key, ok)
		}
	}
	if n, _ := db.DeleteGenerations(ctx, nil); n != 0 {
		t.Errorf("DeleteGenerations(nil) removed %d", n)
	}
	if bs, _ := db.Backups(ctx, BackupFilter{}); len(bs) != 3 {
		t.Errorf("DeleteGenerations touched backups: %d left", len(bs))
	}
}

func TestDuplicateCapsListedOnce(t *testing.T) {
	db, _ := tempDB(t)
	r, _ := mustBegin(t, db, "/src", false)
	b := db.NewBatch(r)
	// Convergence: two keys, one cap (e.g. the same empty file at two paths).
	for _, key := range []string{"x", "y"} {
		if err := b.Put(Object{Key: k(key), Cap: "URI:LIT:", Kind: KindFile}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Put(Object{Key: k("d"), Cap: "URI:DIR2-CHK:d", Kind: KindDir}); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, b)
	var got []string
	err := db.EachCap(context.Background(), []int64{r.Generation}, func(c string, kind Kind) error {
		got = append(got, c+" "+string(kind))
		return nil
	})
	sort.Strings(got)
	if err != nil || fmt.Sprint(got) != "[URI:DIR2-CHK:d dir URI:LIT: file]" {
		t.Errorf("EachCap = %v, %v", got, err)
	}
}

// TestMarkRenewed: rows are marked by the caps the check renewed, not by
// generation: a row of the same generation whose object the check did not
// reach keeps its time (issue 14, item 4), and a renewal never moves back.
func TestMarkRenewed(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	r, _ := mustBegin(t, db, "/src", false)
	b := db.NewBatch(r)
	mustPut(t, b, "a", KindFile)
	mustPut(t, b, "not-in-tree", KindFile) // a resumed run's leftover
	mustCommit(t, b)
	r2, _ := mustBegin(t, db, "/src", false)
	b2 := db.NewBatch(r2)
	mustPut(t, b2, "b", KindFile)
	mustCommit(t, b2)
	at := time.Unix(1_900_000_000, 0)
	renewed := Renewed{Object: func(c string) bool { return c == "URI:CHK:a" || c == "URI:CHK:b" }}
	n, err := db.MarkRenewed(ctx, at, renewed)
	if err != nil || n != 2 {
		t.Fatalf("MarkRenewed = %d, %v", n, err)
	}
	for key, want := range map[string]bool{"a": true, "b": true, "not-in-tree": false} {
		o, _, _ := db.Lookup(ctx, k(key))
		if o.RenewedAt.Equal(at) != want {
			t.Errorf("%s renewed at %v, want marked %v", key, o.RenewedAt, want)
		}
	}
	if n, _ := db.MarkRenewed(ctx, at.Add(-time.Hour), renewed); n != 0 {
		t.Errorf("an older renewal time replaced a newer one (%d rows)", n)
	}
}

func caps(t *testing.T, db *DB, gens ...int64) []string {
	t.Helper()
	var out []string
	err := db.EachCap(context.Background(), gens, func(c string, _ Kind) error {
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}
