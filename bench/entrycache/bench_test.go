// Package entrycachebench measures the entry cache's cost per object as a
// backup run sees it. Run:
//
//	go test -run '^$' -bench . -benchtime 3x ./bench/entrycache/
//
// Each iteration is one whole run over 50,000 objects, committed every 100
// (about one commit per directory), on a real database file. It reports
// wall µs/object, the wall seconds the 50,000 objects cost, and CPU
// µs/object (all threads: SQLite's work, Go's GC).
package entrycachebench

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"syscall"
	"testing"
	"time"

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

// report prints wall time per object, the wall seconds of 50,000
// objects, and CPU time (user+system) per object, which varies less when
// other work shares the machine.
func report(b *testing.B, cpu0 time.Duration) {
	n := float64(b.N * objects)
	perObject := float64(b.Elapsed().Microseconds()) / n
	b.ReportMetric(perObject, "µs/object")
	b.ReportMetric(perObject*objects/1e6, "s/50k")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/n, "cpu-µs/object")
	b.ReportMetric(0, "ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
	var setup time.Duration
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := cpuTime()
		db := open(b)
		setup += cpuTime() - c
		b.StartTimer()
		run(b, db, true)
	}
	report(b, cpu0+setup)
}

// BenchmarkUnchangedRun: every object is a hit and a Use (an unchanged
// rerun, which bumps all 50,000 rows to the new generation).
func BenchmarkUnchangedRun(b *testing.B) {
	db := open(b)
	run(b, db, true)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		run(b, db, false)
	}
	report(b, cpu0)
}
