package entrycache

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The original tool's schema, as its db.py created it (reference
// lafs-backup-tool.md section 5), after its one migration.
var legacySchema = []string{
	`CREATE TABLE object_cache (metadata_dump BLOB PRIMARY KEY ON CONFLICT REPLACE NOT NULL,
		cap TEXT NOT NULL, generation INT NOT NULL, ts REAL NOT NULL)`,
	`CREATE INDEX oc_meta ON object_cache (metadata_dump)`,
	`CREATE INDEX oc_gen ON object_cache (generation)`,
	`CREATE TABLE backups (name TEXT NOT NULL, cap TEXT NOT NULL, generation INT NOT NULL,
		ts REAL NOT NULL)`,
	`CREATE INDEX backups_cap ON backups (cap)`,
	`CREATE INDEX backups_gen ON backups (generation)`,
	`CREATE TABLE meta (var TEXT PRIMARY KEY ON CONFLICT REPLACE NOT NULL, val TEXT NOT NULL)`,
}

var legacyMigration = []string{
	`ALTER TABLE backups ADD COLUMN ts_check REAL NULL`,
	`CREATE INDEX backups_ts_check ON backups (ts_check)`,
}

func makeLegacy(t *testing.T, path string, migrated bool) {
	t.Helper()
	stmts := append([]string{}, legacySchema...)
	if migrated {
		stmts = append(stmts, legacyMigration...)
		stmts = append(stmts,
			`INSERT INTO meta VALUES ('schema_version', '7')`, // the original bumped it on every open
			`INSERT INTO backups VALUES ('backup.2013-01-01', 'URI:DIR2-CHK:aaa:bbb:1:3:100', 3, 1357000000.25, 1357100000.5)`,
			`INSERT INTO backups VALUES (X'6261636b75702ec3a9', 'URI:DIR2-CHK:ccc:ddd:1:3:100', 5, 1357200000.0, NULL)`)
	} else {
		stmts = append(stmts,
			`INSERT INTO meta VALUES ('schema_version', '1')`,
			`INSERT INTO backups VALUES ('old', 'URI:DIR2-CHK:eee:fff:1:3:100', 2, 1357000000.0)`)
	}
	stmts = append(stmts,
		`INSERT INTO object_cache VALUES (X'303a303a3034303735350061', 'URI:CHK:x:y:1:3:5', 9, 1357300000.0)`,
		`INSERT INTO object_cache VALUES (X'303a303a30313030363434', 'URI:LIT:nbswy3dp', 4, 1357300000.0)`)
	rawExec(t, path, stmts...)
}

func TestImportOriginalDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lafs-backup.sqlite")
	makeLegacy(t, path, true)
	before, _ := os.ReadFile(path)
	st0, _ := os.Stat(path)

	db := openTest(t, path)
	info, ok := db.Imported()
	if !ok {
		t.Fatal("Open of the original's database reports no import")
	}
	if info.From != path || info.To != ImportPath(path) || info.Backups != 2 || info.Generation != 9 {
		t.Errorf("import info = %+v", info)
	}
	if db.Path() != ImportPath(path) {
		t.Errorf("DB.Path() = %s, want %s", db.Path(), ImportPath(path))
	}
	bs, err := db.Backups(context.Background(), BackupFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 {
		t.Fatalf("imported %d backups, want 2", len(bs))
	}
	b0, b1 := bs[0], bs[1]
	if b0.Name != "backup.2013-01-01" || b0.Cap != "URI:DIR2-CHK:aaa:bbb:1:3:100" || b0.Generation != 3 ||
		!b0.Finished.Equal(time.Unix(1357000000, 250_000_000)) || !b0.CheckedAt.Equal(time.Unix(1357100000, 500_000_000)) ||
		!b0.Imported || b0.Status != StatusOK || b0.Source != "" || b0.RunID != 0 {
		t.Errorf("first imported backup = %+v", b0)
	}
	if !b0.HealthyAt.IsZero() || !b0.LeasesRenewedAt.IsZero() {
		t.Errorf("imported backup claims health or renewal it never had: %+v", b0)
	}
	if b1.Name != "backup.é" || b1.Generation != 5 || !b1.CheckedAt.IsZero() {
		t.Errorf("second imported backup = %+v", b1)
	}
	if n := countObjects(t, db); n != 0 {
		t.Errorf("%d cache rows imported; the original's keys must not be reused", n)
	}
	// New generations start above every generation the original used,
	// object_cache included.
	r, _ := mustBegin(t, db, "/src", false)
	if r.Generation != 10 {
		t.Errorf("first generation after import = %d, want 10", r.Generation)
	}
	db.Close()

	after, _ := os.ReadFile(path)
	st1, _ := os.Stat(path)
	if !bytes.Equal(before, after) || !st0.ModTime().Equal(st1.ModTime()) {
		t.Error("the original's database was modified")
	}
	for _, side := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(path + side); err == nil {
			t.Errorf("a %s file appeared beside the original's database", side)
		}
	}

	// Once: the next Open uses the import and reports nothing.
	db2 := openTest(t, path)
	if _, ok := db2.Imported(); ok {
		t.Error("second Open reports the import again")
	}
	if bs, _ := db2.Backups(context.Background(), BackupFilter{}); len(bs) != 2 {
		t.Errorf("second Open sees %d backups, want 2", len(bs))
	}
	if r2, _ := mustBegin(t, db2, "/src", false); r2.Generation != 11 {
		t.Errorf("generation after reopen = %d, want 11", r2.Generation)
	}
}

func TestImportOriginalBeforeItsMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.sqlite")
	makeLegacy(t, path, false)
	db := openTest(t, path)
	info, ok := db.Imported()
	if !ok || info.Backups != 1 || info.Generation != 9 {
		t.Fatalf("import = %+v, %v", info, ok)
	}
	bs, _ := db.Backups(context.Background(), BackupFilter{})
	if len(bs) != 1 || bs[0].Name != "old" || !bs[0].CheckedAt.IsZero() {
		t.Errorf("imported = %+v", bs)
	}
}

func TestImportTargetOccupied(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.sqlite")
	makeLegacy(t, path, true)
	rawExec(t, ImportPath(path), `CREATE TABLE something_else (x)`)
	_, err := Open(context.Background(), path, Options{})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("move it aside")) {
		t.Fatalf("Open with a foreign file at the import path: %v", err)
	}
}
