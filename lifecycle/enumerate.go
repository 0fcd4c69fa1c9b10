package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// CapSet is the set of objects reachable from some roots.
type CapSet struct{ g *graph }

// Has reports whether c (a read cap) is in the set.
func (s *CapSet) Has(c lafsapi.Cap) bool {
	_, ok := s.g.lookup(c)
	return ok
}

// Len is the number of distinct objects in the set.
func (s *CapSet) Len() int { return s.g.len() }

// ErrIncompleteWalk: some directory could not be read, so the set of
// reachable objects is not known in full.
var ErrIncompleteWalk = errors.New("lifecycle: not every directory could be read")

// Reachable collects every distinct object reachable from roots, reading
// each distinct directory once, jobs at a time. It fails with an error
// wrapping ErrIncompleteWalk when a directory could not be read or an
// object is unknown: a partial set must not be taken for the whole.
func Reachable(ctx context.Context, grid Grid, roots []lafsapi.Cap, jobs int) (*CapSet, error) {
	if jobs <= 0 {
		jobs = 4
	}
	var mu sync.Mutex
	var first error
	var n int
	g := newGraph()
	w := &walker{grid: grid, g: g, jobs: jobs, problem: func(it item, name string, _ Flags, err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = fmt.Errorf("%w: %s: %v", ErrIncompleteWalk, joinPath(it.path.String(), name), lafsapi.RedactCaps(err.Error()))
		}
		n++
	}}
	if err := w.walk(ctx, roots); err != nil {
		return nil, err
	}
	if first != nil {
		return nil, fmt.Errorf("%w (%d problems)", first, n)
	}
	return &CapSet{g: g}, nil
}

// EnumerateShares calls emit once with the storage index of each object
// reachable from a root in remove (listed with t=stream-manifest) that is
// not in kept. LIT objects have no storage index and no shares. It
// returns how many it emitted. A manifest that cannot be read in full is
// an error: a partial list would look complete.
func EnumerateShares(ctx context.Context, grid Grid, remove []lafsapi.Cap, kept *CapSet, emit func(si string) error) (int, error) {
	done := map[string]bool{}
	n := 0
	for i, root := range remove {
		if kept.Has(root) {
			continue // everything below it is kept too
		}
		err := grid.StreamManifest(ctx, root, func(u lafsapi.ManifestUnit) error {
			si := u.StorageIndex
			if si == "" || done[si] || u.Type == "stats" || kept.Has(u.Cap) {
				return nil
			}
			done[si] = true
			n++
			return emit(si)
		})
		if err != nil {
			return n, fmt.Errorf("manifest of removed backup %d of %d: %w", i+1, len(remove), err)
		}
	}
	return n, nil
}
