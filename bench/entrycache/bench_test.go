// Package entrycachebench measures the entry cache's cost per object as a
// backup run sees it. Run:
//
//	go test -run '^$' -bench . -benchtime 3x ./bench/entrycache/
//
// Each iteration is one whole run over 50,000 objects, committed every 100
// (about one commit per directory), on a real database file. It reports
// µs/object and the seconds the 50,000 objects cost.
package entrycachebench

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/lafs-backup/lafs-backup/entrycache"
)

const (
	objects     = 50_000
	commitEvery = 100
)

func key(i int) [entrycache.KeySize]byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	return entrycache.Key([]byte("/srv/backup.*"), b[:])
}

// run does what the uploader does for n objects: Lookup each; on a miss
// Put it, on a hit Use it; Commit every commitEvery and at the end.
func run(b *testing.B, db *entrycache.DB, first bool) {
	ctx := context.Background()
	r, _, err := db.BeginRun(ctx, "/srv/backup.*", false)
	if err != nil {
		b.Fatal(err)
	}
	batch := db.NewBatch(r)
	for i := 0; i < objects; i++ {
		k := key(i)
		_, ok, err := batch.Lookup(ctx, k)
		if err != nil {
			b.Fatal(err)
		}
		if ok == first {
			b.Fatalf("object %d: hit=%v on a first=%v run", i, ok, first)
		}
		if ok {
			batch.Use(k)
		} else if err := batch.Put(entrycache.Object{Key: k, Cap: "URI:CHK:aaaaaaaaaaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb:2:4:12345",
			Kind: entrycache.KindFile, Size: 12345, StoredSize: 12345}); err != nil {
			b.Fatal(err)
		}
		if (i+1)%commitEvery == 0 {
			if err := batch.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := batch.Commit(ctx); err != nil {
		b.Fatal(err)
	}
}

func report(b *testing.B) {
	perObject := float64(b.Elapsed().Microseconds()) / float64(b.N*objects)
	b.ReportMetric(perObject, "µs/object")
	b.ReportMetric(perObject*objects/1e6, "s/50k")
	b.ReportMetric(0, "ns/op")
}

func open(b *testing.B) *entrycache.DB {
	db, err := entrycache.Open(context.Background(), filepath.Join(b.TempDir(), "cache.db"), entrycache.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// BenchmarkFirstRun: every object is a miss and a Put (a first backup).
func BenchmarkFirstRun(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := open(b)
		b.StartTimer()
		run(b, db, true)
	}
	report(b)
}

// BenchmarkUnchangedRun: every object is a hit and a Use (an unchanged
// rerun, which bumps all 50,000 rows to the new generation).
func BenchmarkUnchangedRun(b *testing.B) {
	db := open(b)
	run(b, db, true)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run(b, db, false)
	}
	report(b)
}
