package entrycache

import (
	"context"
	"database/sql"
	"time"
)

// write runs fn in one write transaction (BEGIN IMMEDIATE, through the
// single writer connection) and commits it when fn returns nil.
func (db *DB) write(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return damaged(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return damaged(err)
	}
	return damaged(tx.Commit())
}

// nanos stores a time as unix nanoseconds; the zero time is NULL.
func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time { return time.Unix(0, n) }

func fromNullNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64)
}

// writeDurable is write with synchronous=FULL for this one transaction, so
// the commit is on disk when it returns, even across a power loss. Used for
// the rows an operator relies on (backups); batches stay on NORMAL, where a
// power loss can cost the last commits but never consistency.
func (db *DB) writeDurable(ctx context.Context, fn func(*sql.Tx) error) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = NORMAL`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return damaged(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return damaged(err)
	}
	return damaged(tx.Commit())
}
