package entrycache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Status is the state of a run, and of the backup a run produced.
type Status string

const (
	StatusRunning     Status = "running"     // begun, no end recorded (still running, or killed)
	StatusOK          Status = "ok"          // backup made
	StatusPartial     Status = "partial"     // backup made, some entries skipped
	StatusFailed      Status = "failed"      // ended by an error, no backup
	StatusInterrupted Status = "interrupted" // stopped by a signal, no backup
)

// Completed reports whether a run with this status produced a backup.
func (s Status) Completed() bool { return s == StatusOK || s == StatusPartial }

// Run is one backup run. Its Generation is what every cache row it uses
// is bumped to.
type Run struct {
	ID         int64
	Generation int64
	Source     string // the configured source pattern
	Started    time.Time
}

// RunInfo is a run as recorded.
type RunInfo struct {
	Run
	Finished time.Time // zero while no end is recorded
	Status   Status
}

// BeginRun starts a run for the configured source pattern. It takes a new
// generation from a counter that never goes back, so a generation number is
// never issued twice, even after cleanup removed every trace of it.
//
// With tryResume, if the newest run of the same source did not complete (it
// was killed, interrupted or failed, and produced no backup), that run goes
// on instead: same ID, same generation, resumed is true. Runs of other
// sources are never resumed.
//
// The caller must hold the cache lock (Lock) for the whole run.
func (db *DB) BeginRun(ctx context.Context, source string, tryResume bool) (run Run, resumed bool, err error) {
	err = db.write(ctx, func(tx *sql.Tx) error {
		if tryResume {
			r, ok, err := resumable(ctx, tx, source)
			if err != nil || ok {
				run, resumed = r, ok
				return err
			}
		}
		run, err = db.newRun(ctx, tx, source)
		return err
	})
	if err != nil {
		return Run{}, false, fmt.Errorf("begin run: %w", err)
	}
	return run, resumed, nil
}

func resumable(ctx context.Context, tx *sql.Tx, source string) (Run, bool, error) {
	var r Run
	var status Status
	var started int64
	err := tx.QueryRowContext(ctx, `SELECT id, generation, started, status FROM runs
		WHERE source = ? ORDER BY id DESC LIMIT 1`, source).Scan(&r.ID, &r.Generation, &started, &status)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && status.Completed()) {
		return Run{}, false, nil
	}
	if err != nil {
		return Run{}, false, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE runs SET status = ?, finished = NULL WHERE id = ?`, StatusRunning, r.ID)
	r.Source, r.Started = source, fromNanos(started)
	return r, err == nil, err
}

func (db *DB) newRun(ctx context.Context, tx *sql.Tx, source string) (Run, error) {
	var gen int64
	err := tx.QueryRowContext(ctx, `UPDATE lafs_meta SET value = value + 1
		WHERE key = 'generation_counter' RETURNING value`).Scan(&gen)
	if err != nil {
		return Run{}, fmt.Errorf("next generation: %w", err)
	}
	started := db.now()
	res, err := tx.ExecContext(ctx, `INSERT INTO runs (source, generation, started, status) VALUES (?, ?, ?, ?)`,
		source, gen, nanos(started), StatusRunning)
	if err != nil {
		return Run{}, err
	}
	id, err := res.LastInsertId()
	return Run{ID: id, Generation: gen, Source: source, Started: started}, err
}

// raiseCounter makes sure the next generation issued is above gen.
func raiseCounter(ctx context.Context, tx *sql.Tx, gen int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE lafs_meta SET value = max(value, ?) WHERE key = 'generation_counter'`, gen)
	if err != nil {
		return fmt.Errorf("raise generation counter: %w", err)
	}
	return nil
}

// FinishRun records the end of a run that produced no backup (status
// StatusFailed or StatusInterrupted). A run that produced one is finished
// by RecordBackup. Its generation stays dangling until a rerun with
// tryResume takes it over or cleanup removes it.
func (db *DB) FinishRun(ctx context.Context, run Run, status Status) error {
	if status != StatusFailed && status != StatusInterrupted {
		return fmt.Errorf("finish run %d as %q: %w (use RecordBackup for a run that made a backup)", run.ID, status, ErrRunState)
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		return finishRun(ctx, tx, run.ID, status, db.now())
	})
	if err != nil {
		return fmt.Errorf("finish run %d: %w", run.ID, err)
	}
	return nil
}

func finishRun(ctx context.Context, tx *sql.Tx, id int64, status Status, at time.Time) error {
	var cur Status
	err := tx.QueryRowContext(ctx, `SELECT status FROM runs WHERE id = ?`, id).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if cur.Completed() {
		return fmt.Errorf("%w: it already made a backup", ErrRunState)
	}
	_, err = tx.ExecContext(ctx, `UPDATE runs SET status = ?, finished = ? WHERE id = ?`, status, nanos(at), id)
	return err
}

// DanglingRuns lists, oldest first, the runs that produced no backup:
// killed (StatusRunning with no end: a run in progress shows the same way,
// which is why list and check take no lock and call these dangling only in
// the output), interrupted and failed ones. Their generations may hold
// cache rows that no backup owns.
func (db *DB) DanglingRuns(ctx context.Context) ([]RunInfo, error) {
	return db.runs(ctx, `WHERE status NOT IN ('ok', 'partial') ORDER BY id`)
}

// Runs lists every recorded run, oldest first.
func (db *DB) Runs(ctx context.Context) ([]RunInfo, error) {
	return db.runs(ctx, `ORDER BY id`)
}

func (db *DB) runs(ctx context.Context, tail string) ([]RunInfo, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, generation, source, started, finished, status FROM runs `+tail)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []RunInfo
	for rows.Next() {
		var ri RunInfo
		var started int64
		var finished sql.NullInt64
		if err := rows.Scan(&ri.ID, &ri.Generation, &ri.Source, &started, &finished, &ri.Status); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		ri.Started, ri.Finished = fromNanos(started), fromNullNanos(finished)
		out = append(out, ri)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}
