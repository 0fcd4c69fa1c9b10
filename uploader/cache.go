package uploader

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// flushEvery is how often the per-directory flush commits at most. A
// commit is a SQLite transaction (about 0.2 ms); on an unchanged rerun,
// where a directory takes microseconds, committing after every one was a
// quarter of the run. What a kill -9 can lose is thereby at most this much
// finished work, which the rerun finds missing and uploads again (to the
// same caps); Run's final flush, on success, error or cancellation, always
// commits.
const flushEvery = 250 * time.Millisecond

// lockedCache serialises calls to the Cache port.
type lockedCache struct {
	mu   sync.Mutex
	c    Cache
	now  func() time.Time // nil: time.Now
	last time.Time        // of the last commit
}

func (l *lockedCache) lookup(key [32]byte) (Object, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	obj, ok, err := l.c.Lookup(key)
	if err != nil {
		return obj, ok, fmt.Errorf("uploader: cache lookup: %w", err)
	}
	return obj, ok, nil
}

func (l *lockedCache) use(key [32]byte, renewed bool, seen Seen) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.c.Use(key, renewed, seen); err != nil {
		return fmt.Errorf("uploader: cache use: %w", err)
	}
	return nil
}

func (l *lockedCache) put(key [32]byte, obj Object, dir bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.c.Put(key, obj, dir); err != nil {
		return fmt.Errorf("uploader: cache put: %w", err)
	}
	return nil
}

func (l *lockedCache) lookupSubtree(key [32]byte) (Subtree, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok, err := l.c.LookupSubtree(key)
	if err != nil {
		return s, ok, fmt.Errorf("uploader: cache lookup: %w", err)
	}
	return s, ok, nil
}

func (l *lockedCache) useSubtree(key [32]byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.c.UseSubtree(key); err != nil {
		return fmt.Errorf("uploader: cache use: %w", err)
	}
	return nil
}

func (l *lockedCache) putSubtree(key [32]byte, s Subtree) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.c.PutSubtree(key, s); err != nil {
		return fmt.Errorf("uploader: cache put: %w", err)
	}
	return nil
}

// flushSoon commits unless the last commit is less than flushEvery ago:
// the per-directory flush.
func (l *lockedCache) flushSoon() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.clock().Sub(l.last) < flushEvery {
		return nil
	}
	return l.commit()
}

// flush commits now (the end of a run).
func (l *lockedCache) flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.commit()
}

func (l *lockedCache) clock() time.Time {
	if l.now == nil {
		return time.Now()
	}
	return l.now()
}

// commit flushes the port; l.mu is held.
func (l *lockedCache) commit() error {
	l.last = l.clock()
	if err := l.c.Flush(); err != nil {
		return fmt.Errorf("uploader: cache flush: %w", err)
	}
	return nil
}

// isLIT says whether a cap holds its data itself: no shares, no lease.
func isLIT(cap string) bool {
	return strings.HasPrefix(cap, "URI:LIT:") || strings.HasPrefix(cap, "URI:DIR2-LIT:")
}

// reuse looks key up and returns the cached object when it may be reused:
// always with DisableDedup off and a fresh row; a row older than the trust
// window only after Grid.Renew found the object healthy (its lease is then
// renewed). An unhealthy object is not reused: the caller uploads it again
// and Puts the new row. For a file, f is what its stat says: a row of the
// same tree with another ctime is not reused either, and a reused row
// remembers the file as it is now unless that is too recent to trust
// (racy.go).
func (b *build) reuse(ctx context.Context, key [32]byte, f *fileState) (Object, bool, error) {
	if b.opts.DisableDedup {
		return Object{}, false, nil
	}
	obj, ok, err := b.cache.lookup(key)
	if err != nil || !ok {
		return Object{}, false, err
	}
	var seen Seen
	if f != nil {
		if f.changedSince(obj.Seen) {
			b.log.Debug("ctime changed since the cached read, reading the file again")
			return Object{}, false, nil
		}
		if f.trusted() {
			seen = f.seen
		}
	}
	renewed := false
	if b.stale(obj) {
		healthy, err := b.grid.Renew(ctx, obj.Cap)
		if err != nil {
			return Object{}, false, fmt.Errorf("uploader: renew lease of a cached object: %w", err)
		}
		if !healthy {
			b.log.Debug("cached object unhealthy, uploading it again")
			return Object{}, false, nil
		}
		renewed = true
		obj.RenewedAt = b.opts.Now()
		b.stats.renewed.Add(1)
	}
	if err := b.cache.use(key, renewed, seen); err != nil {
		return Object{}, false, err
	}
	return obj, true, nil
}

// fresh reuses key only when its row needs no renewal (it was just
// recorded by another worker); it never sends a request.
func (b *build) fresh(key [32]byte) (Object, bool, error) {
	if b.opts.DisableDedup {
		return Object{}, false, nil
	}
	obj, ok, err := b.cache.lookup(key)
	if err != nil || !ok || b.stale(obj) {
		return Object{}, false, err
	}
	return obj, true, b.cache.use(key, false, Seen{})
}

func (b *build) stale(obj Object) bool {
	return b.opts.TrustWindow > 0 && !isLIT(obj.Cap) &&
		b.opts.Now().Sub(obj.RenewedAt) > b.opts.TrustWindow
}

func (b *build) record(key [32]byte, obj Object, dir bool) error {
	obj.RenewedAt = b.opts.Now()
	return b.cache.put(key, obj, dir)
}
