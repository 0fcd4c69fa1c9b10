package entrycache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Kind says what a cached object is on the grid.
type Kind string

const (
	KindFile Kind = "file" // a filenode: file, symlink or special file
	KindDir  Kind = "dir"  // an immutable dirnode
)

// Object is one cache row: the result of uploading something whose key
// (see Key) is Key.
type Object struct {
	Key        [KeySize]byte
	Cap        string  // read cap; a secret, never log it
	Kind       Kind    // KindFile or KindDir
	Generation int64   // last run generation that used it
	Size       int64   // source size in bytes (files)
	StoredSize int64   // bytes sent (after compression)
	Enc        string  // "" or "xz"
	Probe      float64 // incompressibility probe result; 0 = not probed
	UploadedAt time.Time
	RenewedAt  time.Time // last upload or lease renewal
	Seen       Seen      // files: what the row remembers of the file; zero: unknown
}

// Seen is what a file's row remembers of the file it was last read or
// reused for: the source tree it was in (an identity of the tree's root
// directory, chosen by the caller) and the file's ctime, both nonzero, or
// the zero Seen when unknown (rows written before schema version 4). The
// uploader compares the ctime only within the same tree (docs/cache.md,
// Change check).
type Seen struct {
	Tree    int64
	CtimeNs int64
}

// values are the columns' values: NULL for the zero Seen.
func (s Seen) values() (tree, ctime any) {
	if s == (Seen{}) {
		return nil, nil
	}
	return s.Tree, s.CtimeNs
}

const objectColumns = `key, cap, kind, generation, size, stored_size, enc, probe, uploaded_at, renewed_at, tree, ctime_ns`

func scanObject(row interface{ Scan(...any) error }) (Object, error) {
	var o Object
	var key []byte
	var probe sql.NullFloat64
	var up, ren int64
	var tree, ctime sql.NullInt64
	err := row.Scan(&key, &o.Cap, &o.Kind, &o.Generation, &o.Size, &o.StoredSize, &o.Enc, &probe, &up, &ren, &tree, &ctime)
	if err != nil {
		return Object{}, err
	}
	if len(key) != KeySize {
		return Object{}, fmt.Errorf("cache row with a %d-byte key", len(key))
	}
	copy(o.Key[:], key)
	o.Probe = probe.Float64
	o.UploadedAt, o.RenewedAt = fromNanos(up), fromNanos(ren)
	if tree.Valid && ctime.Valid {
		o.Seen = Seen{Tree: tree.Int64, CtimeNs: ctime.Int64}
	}
	return o, nil
}

// Lookup returns the committed row for key. ok is false when there is none.
func (db *DB) Lookup(ctx context.Context, key [KeySize]byte) (obj Object, ok bool, err error) {
	row := db.lookup.QueryRowContext(ctx, key[:])
	obj, err = scanObject(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Object{}, false, nil
	}
	if err != nil {
		return Object{}, false, fmt.Errorf("look up cache key: %w", damaged(err))
	}
	return obj, true, nil
}

// GenerationCount is how many cache rows (objects and subtrees) a
// generation holds, and how many recorded backups carry that generation
// (0 for a dangling generation).
type GenerationCount struct {
	Generation int64
	Objects    int64
	Backups    int64
}

// Generations counts cache rows per generation, in ascending order.
func (db *DB) Generations(ctx context.Context) ([]GenerationCount, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT o.generation, o.n,
		(SELECT count(*) FROM backups b WHERE b.generation = o.generation)
		FROM (SELECT generation, count(*) AS n FROM
			(SELECT generation FROM objects UNION ALL SELECT generation FROM subtrees)
			GROUP BY generation) o
		ORDER BY o.generation`)
	if err != nil {
		return nil, fmt.Errorf("count generations: %w", err)
	}
	defer rows.Close()
	var out []GenerationCount
	for rows.Next() {
		var g GenerationCount
		if err := rows.Scan(&g.Generation, &g.Objects, &g.Backups); err != nil {
			return nil, fmt.Errorf("count generations: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count generations: %w", err)
	}
	return out, nil
}

// genList binds a list of generations as one JSON array parameter, used
// as `generation IN (SELECT value FROM json_each(?))`, so any number fits.
func genList(gens []int64) string {
	if gens == nil {
		gens = []int64{}
	}
	b, _ := json.Marshal(gens)
	return string(b)
}

// DeleteGenerations removes the cache rows whose generation is in gens,
// that is the rows last used by those runs: rows a later run used were
// bumped to that run's generation and survive. A run that reused a whole
// subtree bumped only its subtree row; the rows inside it carry the
// generation that recorded it (Subtree.InnerGen), and while a subtree row
// outside gens needs them they move to its generation instead of going
// (keepInner, docs/cache.md). It also forgets the
// runs of those generations that made no backup, so they stop being
// dangling. Backups rows are not touched (see DeleteBackup). It returns the
// number of cache rows removed.
//
// Call it under the cache lock.
func (db *DB) DeleteGenerations(ctx context.Context, gens []int64) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		if err := keepInner(ctx, tx, gens); err != nil {
			return err
		}
		var err error
		n, err = execRowTables(ctx, tx, `DELETE FROM %s
			WHERE generation IN (SELECT value FROM json_each(?))`, genList(gens))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM runs WHERE status NOT IN ('ok', 'partial')
			AND generation IN (SELECT value FROM json_each(?))`, genList(gens))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete generations: %w", err)
	}
	return n, nil
}

// EachCap calls fn once for each distinct cap among the cache rows of the
// given generations, in no particular order. Use it for the caps of
// generations being removed (cleanup -e) or of those kept. Cache rows are
// dedup hints: they hold what runs used, which is what their trees hold,
// but a tree walk is the authority. fn must not write to this DB.
func (db *DB) EachCap(ctx context.Context, gens []int64, fn func(cap string, kind Kind) error) error {
	rows, err := db.r.QueryContext(ctx, `SELECT cap, min(kind) FROM objects
		WHERE generation IN (SELECT value FROM json_each(?)) GROUP BY cap`, genList(gens))
	if err != nil {
		return fmt.Errorf("list caps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var k Kind
		if err := rows.Scan(&c, &k); err != nil {
			return fmt.Errorf("list caps: %w", err)
		}
		if err := fn(c, k); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list caps: %w", err)
	}
	return nil
}

// execRowTables runs query (with %s for the table) on objects and on
// subtrees, the two tables of rows with a generation, and returns the
// rows it changed in both.
func execRowTables(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	var n int64
	for _, table := range []string{"objects", "subtrees"} {
		res, err := tx.ExecContext(ctx, fmt.Sprintf(query, table), args...)
		if err != nil {
			return 0, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		n += k
	}
	return n, nil
}
