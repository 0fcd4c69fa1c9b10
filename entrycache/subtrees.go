package entrycache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Subtree is a cache row for a whole directory subtree: the directory's
// cap under a key the uploader computes from the metadata of every entry
// below it, so that an unchanged subtree is reused in one lookup, with no
// lookup or generation bump for what is inside (docs/cache.md, Subtrees).
type Subtree struct {
	Key        [KeySize]byte
	Cap        string // the directory's read cap; a secret, never log it
	Generation int64  // last run that recorded or reused it
	// InnerGen is the run that recorded it, in which every row inside
	// was used or put: those rows carry InnerGen (or a later generation).
	// DeleteGenerations keeps them while a kept subtree row needs them.
	InnerGen   int64
	Entries    int64 // entries below the directory, itself included
	RecordedAt time.Time
	// RenewedAt is the oldest lease renewal of the objects inside when it
	// was recorded, moved forward by MarkRenewed when check renewed the
	// whole subtree.
	RenewedAt time.Time
}

const subtreeColumns = `key, cap, generation, inner_gen, entries, recorded_at, renewed_at`

func scanSubtree(row interface{ Scan(...any) error }) (Subtree, error) {
	var s Subtree
	var key []byte
	var rec, ren int64
	if err := row.Scan(&key, &s.Cap, &s.Generation, &s.InnerGen, &s.Entries, &rec, &ren); err != nil {
		return Subtree{}, err
	}
	if len(key) != KeySize {
		return Subtree{}, fmt.Errorf("subtree row with a %d-byte key", len(key))
	}
	copy(s.Key[:], key)
	s.RecordedAt, s.RenewedAt = fromNanos(rec), fromNanos(ren)
	return s, nil
}

// LookupSubtree returns the committed subtree row for key.
func (db *DB) LookupSubtree(ctx context.Context, key [KeySize]byte) (Subtree, bool, error) {
	s, err := scanSubtree(db.lookupSub.QueryRowContext(ctx, key[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return Subtree{}, false, nil
	}
	if err != nil {
		return Subtree{}, false, fmt.Errorf("look up subtree key: %w", damaged(err))
	}
	return s, true, nil
}

// subChange is what a batch will write for one subtree key.
type subChange struct {
	put bool    // s is a new row
	s   Subtree // when put
	use bool    // bump the row to the run's generation
}

// LookupSubtree returns the subtree row for key as this batch will leave
// it: its own uncommitted PutSubtree or UseSubtree first.
func (b *Batch) LookupSubtree(ctx context.Context, key [KeySize]byte) (Subtree, bool, error) {
	b.mu.Lock()
	c := b.subs[key]
	if c == nil {
		c = b.subsInflight[key]
	}
	var cc subChange
	if c != nil {
		cc = *c
	}
	b.mu.Unlock()
	if cc.put {
		return cc.s, true, nil
	}
	s, ok, err := b.db.LookupSubtree(ctx, key)
	if ok && cc.use {
		s.Generation = b.run.Generation
	}
	return s, ok, err
}

// UseSubtree marks the subtree row for key as reused by this run: Commit
// bumps it, and only it, to the run's generation.
func (b *Batch) UseSubtree(key [KeySize]byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.subEntry(key)
	if !c.put {
		c.use = true
	}
}

// PutSubtree records a subtree this run built: Generation and InnerGen
// become the run's; a zero RecordedAt becomes now, a zero RenewedAt
// RecordedAt.
func (b *Batch) PutSubtree(s Subtree) error {
	if s.Cap == "" {
		return errors.New("cache put subtree: empty cap")
	}
	if s.RecordedAt.IsZero() {
		s.RecordedAt = b.db.now()
	}
	if s.RenewedAt.IsZero() {
		s.RenewedAt = s.RecordedAt
	}
	s.Generation, s.InnerGen = b.run.Generation, b.run.Generation
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs[s.Key] = &subChange{put: true, s: s}
	return nil
}

func (b *Batch) subEntry(key [KeySize]byte) *subChange {
	c := b.subs[key]
	if c == nil {
		c = &subChange{}
		if old := b.subsInflight[key]; old != nil {
			*c = *old
		}
		b.subs[key] = c
	}
	return c
}

func writeSubtreeChanges(ctx context.Context, tx *sql.Tx, gen int64, work map[[KeySize]byte]*subChange) error {
	put, err := tx.PrepareContext(ctx, `INSERT INTO subtrees (`+subtreeColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET cap = excluded.cap, generation = excluded.generation,
			inner_gen = excluded.inner_gen, entries = excluded.entries,
			recorded_at = excluded.recorded_at, renewed_at = excluded.renewed_at`)
	if err != nil {
		return err
	}
	defer put.Close()
	for k, c := range work {
		switch {
		case c.put:
			s := c.s
			_, err = put.ExecContext(ctx, k[:], s.Cap, gen, gen, s.Entries, s.RecordedAt.UnixNano(), s.RenewedAt.UnixNano())
		case c.use:
			_, err = tx.ExecContext(ctx, `UPDATE subtrees SET generation = ? WHERE key = ?`, gen, k[:])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// keepInner is DeleteGenerations' first step: the rows of a generation
// about to go that a kept subtree row still needs (its InnerGen) move to
// that subtree's generation instead, with every subtree whose inner rows
// they are. Generations are taken newest first, so a subtree moved out
// of the doomed ones is seen as kept by the older generations it holds
// (a subtree's generation is always above its InnerGen).
func keepInner(ctx context.Context, tx *sql.Tx, gens []int64) error {
	doomed := genList(gens)
	order := slices.Clone(gens)
	slices.Sort(order)
	slices.Reverse(order)
	for _, g := range order {
		var keeper sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT max(generation) FROM subtrees
			WHERE inner_gen = ? AND generation NOT IN (SELECT value FROM json_each(?))`, g, doomed).Scan(&keeper)
		if err != nil {
			return err
		}
		if !keeper.Valid {
			continue
		}
		for _, q := range []string{
			`UPDATE objects SET generation = ?1 WHERE generation = ?2`,
			`UPDATE subtrees SET generation = ?1 WHERE generation = ?2`,
			`UPDATE subtrees SET inner_gen = ?1 WHERE inner_gen = ?2`,
		} {
			if _, err := tx.ExecContext(ctx, q, keeper.Int64, g); err != nil {
				return err
			}
		}
	}
	return nil
}
