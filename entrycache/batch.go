package entrycache

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// Batch collects a run's cache writes in memory and writes them in one
// transaction per Commit. Lookup sees the batch's own uncommitted Put and
// Use, so the uploader needs no bookkeeping of its own. A crash loses only
// what was not committed yet; those objects are uploaded again on the rerun
// (convergent encryption makes that cheap on the grid).
//
// A Batch is safe for concurrent use. Use one per run.
type Batch struct {
	db  *DB
	run Run

	mu       sync.Mutex
	pending  map[[KeySize]byte]*change // not yet handed to a commit
	inflight map[[KeySize]byte]*change // being committed now
	// the same for subtree rows (subtrees.go)
	subs, subsInflight map[[KeySize]byte]*subChange

	commitMu sync.Mutex // one Commit at a time
}

// change is what a batch will write for one key.
type change struct {
	put     bool   // obj is a new row (replaces any old one)
	obj     Object // when put
	use     bool   // bump the row to the run's generation
	renewed time.Time
	seen    Seen // when not zero, replaces the row's
}

// NewBatch starts a write batch for run.
func (db *DB) NewBatch(run Run) *Batch {
	return &Batch{db: db, run: run, pending: map[[KeySize]byte]*change{}, subs: map[[KeySize]byte]*subChange{}}
}

// Lookup returns the object for key as this batch will leave it: its own
// uncommitted Put or Use first, then the committed row.
func (b *Batch) Lookup(ctx context.Context, key [KeySize]byte) (Object, bool, error) {
	b.mu.Lock()
	c := b.pending[key]
	if c == nil {
		c = b.inflight[key]
	}
	var cc change
	if c != nil {
		cc = *c
	}
	b.mu.Unlock()
	if cc.put {
		return cc.obj, true, nil
	}
	obj, ok, err := b.db.Lookup(ctx, key)
	if err != nil || !ok || c == nil {
		return obj, ok, err
	}
	return cc.applyTo(obj, b.run.Generation), true, nil
}

func (c *change) applyTo(o Object, gen int64) Object {
	if c.use {
		o.Generation = gen
	}
	if c.renewed.After(o.RenewedAt) {
		o.RenewedAt = c.renewed
	}
	if c.seen != (Seen{}) {
		o.Seen = c.seen
	}
	return o
}

// Use marks the existing row for key as used by this run: Commit bumps it
// to the run's generation. Using a key that has no row does nothing.
func (b *Batch) Use(key [KeySize]byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.entry(key)
	if c.put {
		return // a Put already carries the run's generation
	}
	c.use = true
}

// Renewed records that the lease on key's object was renewed at t.
func (b *Batch) Renewed(key [KeySize]byte, t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.entry(key)
	if c.put {
		if t.After(c.obj.RenewedAt) {
			c.obj.RenewedAt = t
		}
		return
	}
	if t.After(c.renewed) {
		c.renewed = t
	}
}

// Put records a newly uploaded object under obj.Key, replacing any row it
// had. The batch sets Generation to the run's; zero UploadedAt and
// RenewedAt become now.
func (b *Batch) Put(obj Object) error {
	if obj.Cap == "" {
		return fmt.Errorf("cache put: empty cap")
	}
	if obj.Kind != KindFile && obj.Kind != KindDir {
		return fmt.Errorf("cache put: kind %q is neither %q nor %q", obj.Kind, KindFile, KindDir)
	}
	now := b.db.now()
	if obj.UploadedAt.IsZero() {
		obj.UploadedAt = now
	}
	if obj.RenewedAt.IsZero() {
		obj.RenewedAt = obj.UploadedAt
	}
	obj.Generation = b.run.Generation
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending[obj.Key] = &change{put: true, obj: obj}
	return nil
}

// SawFile records what the existing row for key now remembers of its
// file (Object.Seen); the zero Seen changes nothing.
func (b *Batch) SawFile(key [KeySize]byte, s Seen) {
	if s == (Seen{}) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.entry(key)
	if c.put {
		c.obj.Seen = s
		return
	}
	c.seen = s
}

func (b *Batch) entry(key [KeySize]byte) *change {
	c := b.pending[key]
	if c == nil {
		c = &change{}
		if old := b.inflight[key]; old != nil {
			*c = *old // keep what the commit in progress will write
		}
		b.pending[key] = c
	}
	return c
}

// Pending is the number of keys waiting for the next Commit.
func (b *Batch) Pending() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending) + len(b.subs)
}

// Commit writes everything Put, Used or Renewed since the last Commit in
// one transaction. On error nothing of it is written and it stays pending
// for the next Commit. Call it per directory or periodically, and at the
// end of the run.
func (b *Batch) Commit(ctx context.Context) error {
	b.commitMu.Lock()
	defer b.commitMu.Unlock()
	b.mu.Lock()
	work, subs := b.pending, b.subs
	b.pending, b.subs = map[[KeySize]byte]*change{}, map[[KeySize]byte]*subChange{}
	b.inflight, b.subsInflight = work, subs
	b.mu.Unlock()
	if len(work)+len(subs) == 0 {
		return nil
	}
	err := b.db.write(ctx, func(tx *sql.Tx) error {
		if err := writeChanges(ctx, tx, b.run.Generation, work); err != nil {
			return err
		}
		return writeSubtreeChanges(ctx, tx, b.run.Generation, subs)
	})
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight, b.subsInflight = nil, nil
	if err != nil {
		requeue(b.pending, work)
		requeue(b.subs, subs)
		return fmt.Errorf("commit cache batch of %d keys: %w", len(work)+len(subs), err)
	}
	return nil
}

// requeue puts back what a failed commit did not write, unless a newer
// change for the same key came meanwhile.
func requeue[C any](pending, failed map[[KeySize]byte]*C) {
	for k, c := range failed {
		if _, newer := pending[k]; !newer {
			pending[k] = c
		}
	}
}

func writeChanges(ctx context.Context, tx *sql.Tx, gen int64, work map[[KeySize]byte]*change) error {
	put, err := tx.PrepareContext(ctx, `INSERT INTO objects (`+objectColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET cap = excluded.cap, kind = excluded.kind,
			generation = excluded.generation, size = excluded.size,
			stored_size = excluded.stored_size, enc = excluded.enc, probe = excluded.probe,
			uploaded_at = excluded.uploaded_at, renewed_at = excluded.renewed_at,
			tree = excluded.tree, ctime_ns = excluded.ctime_ns`)
	if err != nil {
		return err
	}
	defer put.Close()
	upd, err := tx.PrepareContext(ctx, `UPDATE objects
		SET generation = CASE WHEN ?1 THEN ?2 ELSE generation END,
			renewed_at = max(renewed_at, ?3),
			tree = coalesce(?5, tree), ctime_ns = coalesce(?6, ctime_ns)
		WHERE key = ?4`)
	if err != nil {
		return err
	}
	defer upd.Close()
	for k, c := range work {
		if c.put {
			o := c.obj
			var probe any
			if o.Probe != 0 {
				probe = o.Probe
			}
			tree, ctime := o.Seen.values()
			_, err = put.ExecContext(ctx, k[:], o.Cap, string(o.Kind), gen, o.Size, o.StoredSize, o.Enc, probe,
				o.UploadedAt.UnixNano(), o.RenewedAt.UnixNano(), tree, ctime)
		} else {
			var ren int64
			if !c.renewed.IsZero() {
				ren = c.renewed.UnixNano()
			}
			tree, ctime := c.seen.values()
			_, err = upd.ExecContext(ctx, c.use, gen, ren, k[:], tree, ctime)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
