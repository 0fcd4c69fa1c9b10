package entrycache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/lafs-backup/lafs-backup/internal/secretfile"
)

// Options configure Open. The zero value is ready to use.
type Options struct {
	// BusyTimeout is how long a statement waits for another connection's
	// lock before failing with SQLITE_BUSY. Default 10s.
	BusyTimeout time.Duration

	// NoCreate makes Open fail, with an error wrapping fs.ErrNotExist,
	// instead of creating a missing database. Commands that only read
	// (list, check, restore, verify) set it. An original tool's database
	// is still imported (that creates the new file beside it).
	NoCreate bool

	// Readers bounds the pool of read-only connections. Default 4.
	Readers int

	// Now replaces time.Now (tests); it must be safe for concurrent use.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 10 * time.Second
	}
	if o.Readers <= 0 {
		o.Readers = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// DB is an open entry cache. It is safe for concurrent use. All writes go
// through one connection (SQLite allows one writer); reads use a separate
// pool of query-only connections, which WAL lets run beside the writer.
type DB struct {
	path      string
	w         *sql.DB
	r         *sql.DB
	now       func() time.Time
	imported  *ImportInfo
	lookup    *sql.Stmt // on r: one parse per reader connection, not per lookup
	lookupSub *sql.Stmt // the same for subtrees
}

// ImportInfo describes an import of the original tool's database.
type ImportInfo struct {
	From       string // the original tool's database; it was only read
	To         string // the new database that now holds its backups
	Backups    int    // backups rows imported
	Generation int64  // highest generation found; new runs count on from it
}

// Open opens (creating when needed, mode 0600) the entry cache at path,
// applies pending schema migrations, and refuses a schema it does not know
// with an error wrapping ErrSchema.
//
// If path holds the original Python tool's database (tables object_cache,
// backups, meta), it is never written: its backups rows are imported into a
// new database at ImportPath(path), which is what the returned DB uses from
// then on. DB.Imported reports the import on the one Open that did it. The
// original's cache rows are not imported: their keys mean nothing here.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("entry cache %s: %w", path, err)
	}
	kind, err := probe(ctx, abs, opts.BusyTimeout)
	if err != nil {
		return nil, err
	}
	target := abs
	var legacy *legacyData
	switch kind {
	case fileMissing:
		if opts.NoCreate {
			return nil, fmt.Errorf("entry cache %s: %w", path, fs.ErrNotExist)
		}
	case fileLegacy:
		target = ImportPath(abs)
		if legacy, err = readLegacy(ctx, abs, opts.BusyTimeout); err != nil {
			return nil, err
		}
		tkind, err := probe(ctx, target, opts.BusyTimeout)
		if err != nil {
			return nil, err
		}
		if tkind != fileMissing && tkind != fileEmpty && tkind != fileOurs {
			return nil, fmt.Errorf("entry cache %s: %w: %s already exists and is not a lafs-backup cache; move it aside",
				path, ErrSchema, target)
		}
	case fileForeign:
		return nil, fmt.Errorf("entry cache %s: %w: the file holds an SQLite database that is neither a lafs-backup cache nor the original lafs-backup-tool's; point the entry cache path at a new file",
			path, ErrSchema)
	}
	return openTarget(ctx, target, abs, legacy, opts)
}

func openTarget(ctx context.Context, target, configured string, legacy *legacyData, opts Options) (*DB, error) {
	if err := createFile(target); err != nil {
		return nil, fmt.Errorf("entry cache %s: %w", target, err)
	}
	db := &DB{path: target, now: opts.Now}
	var err error
	if db.w, err = openWriter(target, opts); err != nil {
		return nil, fmt.Errorf("entry cache %s: %w", target, err)
	}
	info, err := db.migrate(ctx, legacy)
	if err != nil {
		db.w.Close()
		return nil, fmt.Errorf("entry cache %s: %w", target, err)
	}
	if info != nil {
		info.From, info.To = configured, target
		db.imported = info
	}
	if db.r, err = openReaders(target, opts); err == nil {
		db.lookup, err = db.r.PrepareContext(ctx, `SELECT `+objectColumns+` FROM objects WHERE key = ?`)
	}
	if err == nil {
		db.lookupSub, err = db.r.PrepareContext(ctx, `SELECT `+subtreeColumns+` FROM subtrees WHERE key = ?`)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("entry cache %s: %w", target, err)
	}
	return db, nil
}

// createFile creates an empty database file with mode 0600 unless it
// exists, and makes an existing one and its side files private (they hold
// caps; a cache copied with cp or left by an older version may be 0644).
// SQLite gives the -wal and -shm files it creates later the mode of the
// database file, so they are 0600 too.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, secretfile.Mode)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := secretfile.RestrictPath(p); err != nil {
			return err
		}
	}
	return nil
}

func openWriter(path string, opts Options) (*sql.DB, error) {
	dsn := fileURI(path) + "?mode=rw" + busyParam(opts.BusyTimeout) +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(1)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// One writer connection, kept open for the life of the DB: every
	// write transaction is serialised here instead of failing with BUSY.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	return w, nil
}

func openReaders(path string, opts Options) (*sql.DB, error) {
	dsn := fileURI(path) + "?mode=rw" + busyParam(opts.BusyTimeout) +
		"&_pragma=query_only(1)"
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	r.SetMaxOpenConns(opts.Readers)
	r.SetMaxIdleConns(opts.Readers)
	return r, nil
}

func busyParam(d time.Duration) string {
	return fmt.Sprintf("&_pragma=busy_timeout(%d)", d.Milliseconds())
}

// Close closes the database. Uncommitted batch contents are lost.
func (db *DB) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{db.lookup, db.lookupSub} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	return errors.Join(append(errs, db.w.Close())...)
}

// Path is the database file in use: the configured path, or
// ImportPath(configured) when the configured file is the original tool's.
func (db *DB) Path() string { return db.path }

// Imported reports the import of the original tool's database done by this
// Open, if any. A later Open of the same path reports nothing.
func (db *DB) Imported() (ImportInfo, bool) {
	if db.imported == nil {
		return ImportInfo{}, false
	}
	return *db.imported, true
}

// ImportPath is where the backups of the original tool's database at path
// are imported: the same name with ".v2" appended.
func ImportPath(path string) string { return path + ".v2" }

// DatabaseFiles lists every file the cache at path may use (database,
// SQLite's side files, the lock file, the import target and its side files),
// so a walker can skip them.
func DatabaseFiles(path string) []string {
	var out []string
	for _, p := range []string{path, ImportPath(path)} {
		out = append(out, p, p+"-wal", p+"-shm", p+"-journal")
	}
	return append(out, LockPath(path))
}
