package entrycache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Backup is one backup as recorded in the backups table. Commands identify
// a backup by ID or Generation, never by Cap alone: an unchanged rerun
// yields the same cap as the run before it.
type Backup struct {
	ID         int64
	Name       string // basename of the picked source path
	Source     string // configured source pattern ("" when imported)
	Path       string // the picked source directory ("" when imported or recorded before schema 3)
	RunID      int64  // 0 when imported or the run was forgotten
	Generation int64
	Cap        string // root cap; a secret, never log it
	Started    time.Time
	Finished   time.Time
	Entries    int64
	Files      int64
	Bytes      int64
	Status     Status // StatusOK or StatusPartial
	Filter     string // JSON text of the filter settings, for verify ("" if unknown)

	CheckedAt       time.Time // last check, whatever its outcome
	HealthyAt       time.Time // last check that found everything healthy
	LeasesRenewedAt time.Time // last time add-lease ran over the whole tree
	Imported        bool      // imported from the original tool's database
}

// RecordBackup records the backup a run made and finishes the run with
// b.Status, in one durable transaction: a crash leaves either both or
// neither. Name, Generation-independent fields and counts come from b; ID,
// RunID, Source, Generation and Started come from run. Finished defaults to
// now.
func (db *DB) RecordBackup(ctx context.Context, run Run, b Backup) (Backup, error) {
	if !b.Status.Completed() {
		return Backup{}, fmt.Errorf("record backup: status %q is not a completed backup", b.Status)
	}
	if b.Cap == "" || b.Name == "" {
		return Backup{}, errors.New("record backup: empty name or cap")
	}
	if b.Filter != "" && !json.Valid([]byte(b.Filter)) {
		return Backup{}, errors.New("record backup: filter settings are not valid JSON")
	}
	b.RunID, b.Source, b.Generation, b.Started = run.ID, run.Source, run.Generation, run.Started
	if b.Finished.IsZero() {
		b.Finished = db.now()
	}
	err := db.writeDurable(ctx, func(tx *sql.Tx) error {
		if err := finishRun(ctx, tx, run.ID, b.Status, b.Finished); err != nil {
			return fmt.Errorf("run %d: %w", run.ID, err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO backups
			(name, source, run_id, generation, cap, started, finished, entries, files, bytes, status, filter, path)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.Name, b.Source, b.RunID, b.Generation, b.Cap, nanos(b.Started), nanos(b.Finished),
			b.Entries, b.Files, b.Bytes, b.Status, b.Filter, b.Path)
		if err != nil {
			return err
		}
		b.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return Backup{}, fmt.Errorf("record backup of generation %d: %w", run.Generation, err)
	}
	return b, nil
}

// Order is the order Backups returns rows in.
type Order int

const (
	OrderRecorded      Order = iota // by ID: the order they were recorded
	OrderFinished                   // by finish time, then ID
	OrderLeasesRenewed              // never-renewed first, then oldest renewal (check -a)
)

// BackupFilter selects backups. Zero fields do not filter; a non-nil empty
// Generations or Statuses matches nothing.
type BackupFilter struct {
	Name        string
	Source      string
	Cap         string
	Generations []int64
	Statuses    []Status
	Order       Order
	Desc        bool // reverse the order
	Limit       int
}

func (f BackupFilter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) { conds = append(conds, cond); args = append(args, arg) }
	if f.Name != "" {
		add("name = ?", f.Name)
	}
	if f.Source != "" {
		add("source = ?", f.Source)
	}
	if f.Cap != "" {
		add("cap = ?", f.Cap)
	}
	if f.Generations != nil {
		add("generation IN (SELECT value FROM json_each(?))", genList(f.Generations))
	}
	if f.Statuses != nil {
		s, _ := json.Marshal(f.Statuses)
		add("status IN (SELECT value FROM json_each(?))", string(s))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func (f BackupFilter) orderBy() string {
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	switch f.Order {
	case OrderFinished:
		return " ORDER BY finished" + dir + ", id" + dir
	case OrderLeasesRenewed:
		nulls := " NULLS FIRST"
		if f.Desc {
			nulls = " NULLS LAST"
		}
		return " ORDER BY leases_renewed_at" + dir + nulls + ", id" + dir
	}
	return " ORDER BY id" + dir
}

const backupColumns = `id, name, source, run_id, generation, cap, started, finished, entries, files, bytes,
	status, filter, checked_at, healthy_at, leases_renewed_at, imported, path`

func scanBackup(row interface{ Scan(...any) error }) (Backup, error) {
	var b Backup
	var runID, started, checked, healthy, renewed sql.NullInt64
	var finished int64
	err := row.Scan(&b.ID, &b.Name, &b.Source, &runID, &b.Generation, &b.Cap, &started, &finished,
		&b.Entries, &b.Files, &b.Bytes, &b.Status, &b.Filter, &checked, &healthy, &renewed, &b.Imported, &b.Path)
	if err != nil {
		return Backup{}, err
	}
	b.RunID = runID.Int64
	b.Started, b.Finished = fromNullNanos(started), fromNanos(finished)
	b.CheckedAt, b.HealthyAt, b.LeasesRenewedAt = fromNullNanos(checked), fromNullNanos(healthy), fromNullNanos(renewed)
	return b, nil
}

// Backups returns the backups f selects. It reads only the backups table,
// through its indexes.
func (db *DB) Backups(ctx context.Context, f BackupFilter) ([]Backup, error) {
	where, args := f.where()
	q := `SELECT ` + backupColumns + ` FROM backups` + where + f.orderBy()
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	defer rows.Close()
	var out []Backup
	for rows.Next() {
		b, err := scanBackup(rows)
		if err != nil {
			return nil, fmt.Errorf("list backups: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	return out, nil
}

func (db *DB) oneBackup(ctx context.Context, f BackupFilter, what string) (Backup, error) {
	f.Limit = 1
	bs, err := db.Backups(ctx, f)
	if err != nil {
		return Backup{}, err
	}
	if len(bs) == 0 {
		return Backup{}, fmt.Errorf("backup %s: %w", what, ErrNotFound)
	}
	return bs[0], nil
}

// BackupByGeneration returns the backup of generation gen (the newest
// recorded one, should an imported database hold several).
func (db *DB) BackupByGeneration(ctx context.Context, gen int64) (Backup, error) {
	return db.oneBackup(ctx, BackupFilter{Generations: []int64{gen}, Desc: true}, fmt.Sprintf("of generation %d", gen))
}

// BackupByID returns the backup with the given ID.
func (db *DB) BackupByID(ctx context.Context, id int64) (Backup, error) {
	row := db.r.QueryRowContext(ctx, `SELECT `+backupColumns+` FROM backups WHERE id = ?`, id)
	b, err := scanBackup(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Backup{}, fmt.Errorf("backup %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Backup{}, fmt.Errorf("backup %d: %w", id, err)
	}
	return b, nil
}

// LatestBackup returns the most recently finished backup that f selects
// (f's Order, Desc and Limit are ignored). For "the newest successful
// backup named X", set Name and Statuses.
func (db *DB) LatestBackup(ctx context.Context, f BackupFilter) (Backup, error) {
	f.Order, f.Desc = OrderFinished, true
	return db.oneBackup(ctx, f, "matching the selection")
}

// MarkChecked records a check of backup id at at; healthy also sets
// HealthyAt (a backup is marked healthy only when it was).
func (db *DB) MarkChecked(ctx context.Context, id int64, at time.Time, healthy bool) error {
	q := `UPDATE backups SET checked_at = ?1 WHERE id = ?2`
	if healthy {
		q = `UPDATE backups SET checked_at = ?1, healthy_at = ?1 WHERE id = ?2`
	}
	return db.updateBackup(ctx, id, q, at.UnixNano(), id)
}

// MarkLeasesRenewed records that add-lease ran over backup id's whole tree.
func (db *DB) MarkLeasesRenewed(ctx context.Context, id int64, at time.Time) error {
	return db.updateBackup(ctx, id, `UPDATE backups SET leases_renewed_at = ?1 WHERE id = ?2`, at.UnixNano(), id)
}

// DeleteBackup forgets backup id (its cache rows are DeleteGenerations'
// business). It returns ErrNotFound if there is no such backup.
func (db *DB) DeleteBackup(ctx context.Context, id int64) error {
	return db.updateBackup(ctx, id, `DELETE FROM backups WHERE id = ?`, id)
}

func (db *DB) updateBackup(ctx context.Context, id int64, q string, args ...any) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("backup %d: %w", id, err)
	}
	return nil
}
