package entrycache

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// clock is a fake time source that moves one second per call.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0)} }

func openTest(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, Options{Now: newClock().now})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func tempDB(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cache.db")
	return openTest(t, path), path
}

// rawExec runs SQL on a file through a plain connection, bypassing DB.
func rawExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	conn, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range stmts {
		if _, err := conn.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func k(s string) [KeySize]byte { return Key([]byte(s)) }

func mustBegin(t *testing.T, db *DB, source string, resume bool) (Run, bool) {
	t.Helper()
	r, resumed, err := db.BeginRun(context.Background(), source, resume)
	if err != nil {
		t.Fatalf("BeginRun(%q, %v): %v", source, resume, err)
	}
	return r, resumed
}

func mustCommit(t *testing.T, b *Batch) {
	t.Helper()
	if err := b.Commit(context.Background()); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func mustPut(t *testing.T, b *Batch, key string, kind Kind) {
	t.Helper()
	if err := b.Put(Object{Key: k(key), Cap: "URI:CHK:" + key, Kind: kind, Size: int64(len(key))}); err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
}

func countObjects(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.r.QueryRow(`SELECT count(*) FROM objects`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func objectGen(t *testing.T, db *DB, key string) (int64, bool) {
	t.Helper()
	o, ok, err := db.Lookup(context.Background(), k(key))
	if err != nil {
		t.Fatal(err)
	}
	return o.Generation, ok
}
