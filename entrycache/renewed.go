package entrycache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Renewed says which objects a check renewed the lease of (docs/cache.md,
// Generations): Object for one object's own shares, Subtree for a
// directory and everything below it. Caps are the rows' caps.
type Renewed struct {
	Object  func(cap string) bool
	Subtree func(cap string) bool
}

// markChunk bounds the rows one write transaction of MarkRenewed updates,
// so that a running backup's commits never wait long for check.
const markChunk = 10000

// MarkRenewed moves renewed_at forward to at on every cache row whose
// object r says was renewed: objects rows by r.Object, subtree rows (a
// whole subtree's cap) by r.Subtree. A row whose object the check did not
// reach keeps its time whatever its generation, so the next backup's
// trust window re-checks it: a row of generation G is not necessarily in
// backup G's tree (a resumed run, a retention that kept an older
// backup). It reads the rows without holding the write lock and writes in
// short transactions. It returns the number of rows changed.
func (db *DB) MarkRenewed(ctx context.Context, at time.Time, r Renewed) (int64, error) {
	var n int64
	for _, tb := range []struct {
		table string
		fn    func(string) bool
	}{{"objects", r.Object}, {"subtrees", r.Subtree}} {
		if tb.fn == nil {
			continue
		}
		ids, err := db.renewedIDs(ctx, tb.table, at, tb.fn)
		if err != nil {
			return n, fmt.Errorf("mark renewed: %w", err)
		}
		k, err := db.markIDs(ctx, tb.table, at, ids)
		n += k
		if err != nil {
			return n, fmt.Errorf("mark renewed: %w", err)
		}
	}
	return n, nil
}

// renewedIDs lists the row ids of table whose cap fn accepts and whose
// renewed_at is before at.
func (db *DB) renewedIDs(ctx context.Context, table string, at time.Time, fn func(string) bool) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx, fmt.Sprintf(`SELECT rowid, cap FROM %s WHERE coalesce(renewed_at, 0) < ?`, table), at.UnixNano())
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		var c string
		if err := rows.Scan(&id, &c); err != nil {
			return nil, damaged(err)
		}
		if fn(c) {
			ids = append(ids, id)
		}
	}
	return ids, damaged(rows.Err())
}

func (db *DB) markIDs(ctx context.Context, table string, at time.Time, ids []int64) (int64, error) {
	var n int64
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), markChunk)]
		ids = ids[len(chunk):]
		list, _ := json.Marshal(chunk)
		err := db.write(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET renewed_at = ?
				WHERE coalesce(renewed_at, 0) < ? AND rowid IN (SELECT value FROM json_each(?))`, table),
				at.UnixNano(), at.UnixNano(), string(list))
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			n += k
			return err
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
