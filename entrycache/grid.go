package entrycache

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// GridServer is a storage server this cache has seen.
type GridServer struct {
	NodeID    string
	FirstSeen time.Time
	LastSeen  time.Time
}

// GridCheck is what CheckGrid found.
type GridCheck struct {
	First bool     // the cache had no servers recorded: all were recorded now
	Known int      // connected servers the cache knew
	Added []string // connected servers recorded now
}

// GridServers lists the storage servers this cache has seen, by node ID.
func (db *DB) GridServers(ctx context.Context) ([]GridServer, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT nodeid, first_seen, last_seen FROM grid_servers ORDER BY nodeid`)
	if err != nil {
		return nil, fmt.Errorf("list grid servers: %w", err)
	}
	defer rows.Close()
	var out []GridServer
	for rows.Next() {
		var s GridServer
		var first, last int64
		if err := rows.Scan(&s.NodeID, &first, &last); err != nil {
			return nil, fmt.Errorf("list grid servers: %w", err)
		}
		s.FirstSeen, s.LastSeen = fromNanos(first), fromNanos(last)
		out = append(out, s)
	}
	return out, rows.Err()
}

// CheckGrid ties the cache to one grid (docs/operations.md, Grid identity). connected are the node
// IDs of the storage servers the gateway is connected to now. On first use
// they are recorded. Later, when none of them was seen before, the caps in
// this cache probably belong to another grid and CheckGrid fails with
// ErrOtherGrid, recording nothing, unless accept is set. Otherwise new
// servers are recorded (grids grow) and known ones get a new last-seen
// time. The gateway URL does not matter.
func (db *DB) CheckGrid(ctx context.Context, connected []string, accept bool) (GridCheck, error) {
	if len(connected) == 0 {
		if accept {
			return GridCheck{}, nil
		}
		return GridCheck{}, ErrNoServers
	}
	var gc GridCheck
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		gc, err = checkGrid(ctx, tx, connected, accept, db.now())
		return err
	})
	if err != nil {
		return GridCheck{}, fmt.Errorf("check grid identity: %w", err)
	}
	return gc, nil
}

func checkGrid(ctx context.Context, tx *sql.Tx, connected []string, accept bool, now time.Time) (GridCheck, error) {
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM grid_servers`).Scan(&total); err != nil {
		return GridCheck{}, err
	}
	var gc GridCheck
	gc.First = total == 0
	var unknown []string
	for _, id := range dedup(connected) {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM grid_servers WHERE nodeid = ?`, id).Scan(&n); err != nil {
			return GridCheck{}, err
		}
		if n > 0 {
			gc.Known++
		} else {
			unknown = append(unknown, id)
		}
	}
	if !gc.First && gc.Known == 0 && !accept {
		return GridCheck{}, fmt.Errorf("%w: none of the %d connected storage servers is among the %d this cache has seen; its caps belong to another grid (accept the grid explicitly if it really is the same one, or use another cache)",
			ErrOtherGrid, len(unknown), total)
	}
	t := now.UnixNano()
	for _, id := range dedup(connected) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO grid_servers (nodeid, first_seen, last_seen) VALUES (?, ?, ?)
			ON CONFLICT (nodeid) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`, id, t, t); err != nil {
			return GridCheck{}, err
		}
	}
	gc.Added = unknown
	return gc, nil
}

func dedup(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
