package entrycache

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenCreatesPrivateFiles(t *testing.T) {
	db, path := tempDB(t)
	r, _ := mustBegin(t, db, "/src/*", false)
	b := db.NewBatch(r)
	mustPut(t, b, "a", KindFile)
	mustCommit(t, b)
	// While the DB is open, WAL mode keeps -wal and -shm beside it.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat %s: %v", p, err)
		}
		if perm := st.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), perm)
		}
	}
	var mode string
	if err := db.w.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := db.w.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
}

func TestOpenUnderUmaskZero(t *testing.T) {
	old := umask(0)
	defer umask(old)
	db, path := tempDB(t)
	r, _ := mustBegin(t, db, "/src", false)
	b := db.NewBatch(r)
	mustPut(t, b, "a", KindFile)
	mustCommit(t, b)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := st.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o under umask 0, want 600", filepath.Base(p), perm)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	db := openTest(t, path)
	r, _ := mustBegin(t, db, "/src", false)
	b := db.NewBatch(r)
	mustPut(t, b, "a", KindDir)
	mustCommit(t, b)
	db.Close()

	db2 := openTest(t, path)
	o, ok, err := db2.Lookup(context.Background(), k("a"))
	if err != nil || !ok {
		t.Fatalf("Lookup after reopen: %v, %v", ok, err)
	}
	if o.Cap != "URI:CHK:a" || o.Kind != KindDir || o.Generation != r.Generation {
		t.Errorf("reopened row = %+v", o)
	}
	if _, ok := db2.Imported(); ok {
		t.Error("a plain reopen reports an import")
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	openTest(t, path).Close()
	rawExec(t, path, `UPDATE lafs_meta SET value = 99 WHERE key = 'schema_version'`)
	_, err := Open(context.Background(), path, Options{})
	if !errors.Is(err, ErrSchema) {
		t.Fatalf("Open of schema 99: %v, want ErrSchema", err)
	}
	for _, want := range []string{"99", "newer", "new file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestOpenRefusesUnknownFiles(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  string
	}{
		{"other sqlite database", func(t *testing.T, path string) {
			rawExec(t, path, `CREATE TABLE photos (id INTEGER)`)
		}, "neither"},
		{"not sqlite", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("hello, this is not a database at all"), 0o600)
		}, "not an SQLite database"},
		{"truncated header", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("SQLite"), 0o600)
		}, "not an SQLite database"},
		{"damaged meta", func(t *testing.T, path string) {
			openTest(t, path).Close()
			rawExec(t, path, `DELETE FROM lafs_meta WHERE key = 'schema_version'`)
		}, "damaged"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cache.db")
			c.setup(t, path)
			_, err := Open(context.Background(), path, Options{})
			if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Open: %v; want ErrSchema saying %q", err, c.want)
			}
		})
	}
}

func TestOpenNoCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.db")
	_, err := Open(context.Background(), path, Options{NoCreate: true})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open(NoCreate) of a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("NoCreate created the file")
	}
}

func TestOpenAwkwardPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?#%20x")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "c?ache#.db")
	db := openTest(t, path)
	mustBegin(t, db, "/src", false)
	db.Close()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the given path (dir holds %q): %v", names, err)
	}
	if len(names) != 1 {
		t.Errorf("directory holds %q after close, want only the database", names)
	}
}

func TestDatabaseFiles(t *testing.T) {
	got := DatabaseFiles("/var/c.db")
	want := []string{"/var/c.db", "/var/c.db-wal", "/var/c.db-shm", "/var/c.db-journal",
		"/var/c.db.v2", "/var/c.db.v2-wal", "/var/c.db.v2-shm", "/var/c.db.v2-journal", "/var/c.db.lock"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("DatabaseFiles = %q, want %q", got, want)
	}
}

func TestOpenEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), path, Options{NoCreate: true})
	if err != nil {
		t.Fatalf("Open of an empty file: %v", err)
	}
	defer db.Close()
	if r, _ := mustBegin(t, db, "/src", false); r.Generation != 1 {
		t.Errorf("first generation %d, want 1", r.Generation)
	}
}

// TestOpenMakesExistingFilesPrivate: a cache (and its WAL) left 0644, by
// an older version or a cp, is 0600 after Open, and so is an existing lock
// file after Lock (issue 14, item 9).
func TestOpenMakesExistingFilesPrivate(t *testing.T) {
	db, path := tempDB(t)
	r, _ := mustBegin(t, db, "/src", false)
	b := db.NewBatch(r)
	mustPut(t, b, "a", KindFile)
	mustCommit(t, b)
	db.Close()
	os.WriteFile(LockPath(path), nil, 0o644)
	files := []string{path, path + "-wal", LockPath(path)}
	for _, p := range files {
		if _, err := os.Stat(p); err != nil {
			os.WriteFile(p, nil, 0o644) // SQLite may have removed the WAL on close
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	unlock, err := Lock(context.Background(), path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	for _, p := range files {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := st.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o after open, want 600", filepath.Base(p), perm)
		}
	}
}
