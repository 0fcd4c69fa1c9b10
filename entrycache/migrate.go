package entrycache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migrate brings the database to SchemaVersion in one transaction, and
// imports the original tool's backups into a database it has just created.
// It returns the import it did, if any.
func (db *DB) migrate(ctx context.Context, legacy *legacyData) (*ImportInfo, error) {
	if current(ctx, db.w) {
		return nil, nil // the common case needs no write lock
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback()
	version, err := schemaVersion(ctx, tx)
	if err != nil {
		return nil, err
	}
	if version > SchemaVersion {
		return nil, fmt.Errorf("%w: schema version %d was written by a newer lafs-backup (this one knows versions up to %d); run the newer lafs-backup, or point the entry cache path at a new file (the cache is only an optimisation: a new one costs a full upload)",
			ErrSchema, version, SchemaVersion)
	}
	for v := version; v < SchemaVersion; v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return nil, fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
	}
	if version != SchemaVersion {
		if _, err := tx.ExecContext(ctx, `INSERT INTO lafs_meta (key, value) VALUES ('schema_version', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, SchemaVersion); err != nil {
			return nil, fmt.Errorf("record schema version: %w", err)
		}
	}
	var info *ImportInfo
	if legacy != nil && version == 0 {
		if info, err = importLegacy(ctx, tx, legacy); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit migration: %w", err)
	}
	return info, nil
}

// schemaVersion reads the version, 0 for a database without our tables.
func schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'lafs_meta'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read schema: %w", damaged(err))
	}
	if n == 0 {
		return 0, nil
	}
	var v sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT value FROM lafs_meta WHERE key = 'schema_version'`).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read schema version: %w", damaged(err))
	}
	if !v.Valid || v.Int64 < 1 {
		return 0, fmt.Errorf("%w: lafs_meta has no valid schema_version (damaged cache?); move the file aside and start a new cache", ErrSchema)
	}
	return int(v.Int64), nil
}

// current reports whether the database is at SchemaVersion already; any
// doubt (an error, no table) is settled by the locked path.
func current(ctx context.Context, db *sql.DB) bool {
	var v sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT value FROM lafs_meta WHERE key = 'schema_version'`).Scan(&v)
	return err == nil && v.Valid && v.Int64 == SchemaVersion
}
