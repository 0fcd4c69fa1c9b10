package entrycache

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"
)

// The original lafs-backup-tool (Python) kept, in one SQLite file:
//
//	object_cache(metadata_dump BLOB PRIMARY KEY, cap TEXT, generation INT, ts REAL)
//	backups(name TEXT, cap TEXT, generation INT, ts REAL, ts_check REAL NULL)
//	meta(var TEXT PRIMARY KEY, val TEXT)
//
// ts_check arrived with its only migration, so older files lack it.

type legacyBackup struct {
	name, cap  string
	generation int64
	ts         float64
	tsCheck    sql.NullFloat64
}

type legacyData struct {
	backups []legacyBackup
	maxGen  int64 // over backups and object_cache
}

// readLegacy reads the original tool's backups through a read-only
// connection that sets no PRAGMA, so the file is never written.
func readLegacy(ctx context.Context, path string, busy time.Duration) (*legacyData, error) {
	db, err := openReadOnly(path, busy)
	if err != nil {
		return nil, fmt.Errorf("original cache %s: %w", path, err)
	}
	defer db.Close()
	d, err := queryLegacy(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("original cache %s: %w", path, err)
	}
	return d, nil
}

func queryLegacy(ctx context.Context, db *sql.DB) (*legacyData, error) {
	hasCheck, err := hasColumn(ctx, db, "backups", "ts_check")
	if err != nil {
		return nil, err
	}
	check := "NULL"
	if hasCheck {
		check = "ts_check"
	}
	rows, err := db.QueryContext(ctx, `SELECT CAST(name AS TEXT), CAST(cap AS TEXT), generation, ts, `+check+
		` FROM backups ORDER BY rowid`)
	if err != nil {
		return nil, fmt.Errorf("read backups: %w", err)
	}
	defer rows.Close()
	d := &legacyData{}
	for rows.Next() {
		var b legacyBackup
		if err := rows.Scan(&b.name, &b.cap, &b.generation, &b.ts, &b.tsCheck); err != nil {
			return nil, fmt.Errorf("read backups: %w", err)
		}
		d.backups = append(d.backups, b)
		d.maxGen = max(d.maxGen, b.generation)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read backups: %w", err)
	}
	var objMax sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(generation) FROM object_cache`).Scan(&objMax); err != nil {
		return nil, fmt.Errorf("read object_cache: %w", err)
	}
	d.maxGen = max(d.maxGen, objMax.Int64)
	return d, nil
}

func hasColumn(ctx context.Context, db *sql.DB, table, column string) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, table, column).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read %s columns: %w", table, err)
	}
	return n > 0, nil
}

// importLegacy writes the original's backups into our fresh schema and
// moves the generation counter past every generation the original used, so
// no generation number is ever issued twice.
func importLegacy(ctx context.Context, tx *sql.Tx, d *legacyData) (*ImportInfo, error) {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO backups
		(name, source, generation, cap, finished, status, checked_at, imported)
		VALUES (?, '', ?, ?, ?, ?, ?, 1)`)
	if err != nil {
		return nil, fmt.Errorf("import backups: %w", err)
	}
	defer stmt.Close()
	for _, b := range d.backups {
		var checked any
		if b.tsCheck.Valid {
			checked = floatNanos(b.tsCheck.Float64)
		}
		_, err := stmt.ExecContext(ctx, b.name, b.generation, b.cap, floatNanos(b.ts), string(StatusOK), checked)
		if err != nil {
			return nil, fmt.Errorf("import backup of generation %d: %w", b.generation, err)
		}
	}
	if err := raiseCounter(ctx, tx, d.maxGen); err != nil {
		return nil, err
	}
	return &ImportInfo{Backups: len(d.backups), Generation: d.maxGen}, nil
}

// floatNanos converts the original's float unix seconds to nanoseconds.
func floatNanos(sec float64) int64 {
	s, frac := math.Modf(sec)
	return int64(s)*1e9 + int64(math.Round(frac*1e6))*1e3
}
