package entrycache

import (
	"context"
	"testing"
)

// A file row remembers what its file was (Seen) through Put and SawFile,
// in the batch and committed; the zero Seen leaves it alone.
func TestSeenRoundTrips(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	r1, _ := mustBegin(t, db, "/src", false)
	b1 := db.NewBatch(r1)
	first := Seen{Tree: -7, CtimeNs: 1_700_000_000_123456789}
	if err := b1.Put(Object{Key: k("f"), Cap: "URI:CHK:f", Kind: KindFile, Seen: first}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, b1, "unknown", KindFile)
	mustCommit(t, b1)
	if o, _, _ := db.Lookup(ctx, k("f")); o.Seen != first {
		t.Errorf("committed Seen %+v, want %+v", o.Seen, first)
	}
	if o, _, _ := db.Lookup(ctx, k("unknown")); o.Seen != (Seen{}) {
		t.Errorf("a row put without Seen has %+v", o.Seen)
	}

	r2, _ := mustBegin(t, db, "/src", false)
	b2 := db.NewBatch(r2)
	later := Seen{Tree: 42, CtimeNs: 1_800_000_000}
	b2.Use(k("f"))
	b2.SawFile(k("f"), later)
	b2.Use(k("unknown"))
	b2.SawFile(k("unknown"), Seen{})
	if o, _, _ := b2.Lookup(ctx, k("f")); o.Seen != later || o.Generation != r2.Generation {
		t.Errorf("batch Lookup %+v, want Seen %+v", o, later)
	}
	mustCommit(t, b2)
	if o, _, _ := db.Lookup(ctx, k("f")); o.Seen != later || o.Generation != r2.Generation {
		t.Errorf("committed %+v, want Seen %+v", o, later)
	}
	if o, _, _ := db.Lookup(ctx, k("unknown")); o.Seen != (Seen{}) || o.Generation != r2.Generation {
		t.Errorf("the zero Seen changed the row: %+v", o)
	}
}

// A cache of schema 3 is migrated in place: its rows stay and remember
// nothing of their files (Seen zero) until their next use.
func TestMigrateSchema3(t *testing.T) {
	path := t.TempDir() + "/cache.db"
	if err := createFile(path); err != nil {
		t.Fatal(err)
	}
	rawExec(t, path, migrations[0], migrations[1], migrations[2],
		`INSERT INTO lafs_meta (key, value) VALUES ('schema_version', 3)`,
		`INSERT INTO objects (key, cap, kind, generation, uploaded_at, renewed_at) VALUES (zeroblob(32), 'URI:CHK:old', 'file', 1, 1, 1)`)
	db := openTest(t, path)
	wantCurrentSchema(t, db)
	var key [KeySize]byte
	o, ok, err := db.Lookup(context.Background(), key)
	if err != nil || !ok || o.Cap != "URI:CHK:old" || o.Seen != (Seen{}) {
		t.Fatalf("old row after the migration: %+v, %v, %v", o, ok, err)
	}
}
