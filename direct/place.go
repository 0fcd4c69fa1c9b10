package direct

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/lafs-backup/lafs-backup/storageapi"
)

// spot is one share on one server.
type spot struct {
	sh int
	s  *server
}

// spots is a set of shares on servers.
type spots map[spot]bool

// byShare is the set as share -> servers, for happiness.
func (ss spots) byShare() map[int][]*server {
	out := map[int][]*server{}
	for sp := range ss {
		out[sp.sh] = append(out[sp.sh], sp.s)
	}
	return out
}

// sorted lists the set by share number, then server, for a stable order.
func (ss spots) sorted() []spot {
	out := slices.Collect(maps.Keys(ss))
	slices.SortFunc(out, func(a, b spot) int {
		if a.sh != b.sh {
			return a.sh - b.sh
		}
		return a.s.idx - b.s.idx
	})
	return out
}

// placement finds homes for the shares of one storage index, as the
// gateway's uploader does (docs/direct.md, Placing shares): shares go
// around the permuted ring, one per server while there are servers, until
// every share is stored somewhere and servers-of-happiness reaches
// shares.happy. Shares a server already holds count; a share another
// client is writing is placed elsewhere.
type placement struct {
	c     *Client
	si    storageapi.StorageIndex
	size  int64 // of each share
	total int
	cands []*server // in ring order

	have  spots // complete shares found on servers
	ours  spots // allocated to us, not written yet
	busy  spots // of ours: in progress before we asked (a crashed run of ours, or another client)
	done  spots // written by us
	tried spots // asked for
	bad   map[*server]bool
	notes []string // why shares went elsewhere

	mu sync.Mutex // for the goroutines of one round
}

func (c *Client) newPlacement(ctx context.Context, si storageapi.StorageIndex, size int64) *placement {
	return &placement{
		c: c, si: si, size: size, total: c.params.Total,
		cands: c.candidates(ctx, si, size),
		have:  spots{}, ours: spots{}, busy: spots{}, done: spots{}, tried: spots{},
		bad: map[*server]bool{},
	}
}

// maxRounds bounds the allocation rounds; each asks every (share, server)
// pair at most once, so this is only a backstop.
const maxRounds = 16

// place runs allocation rounds until every share has a home; after each
// allocation, round writes or proves what it can (and drops what it
// cannot, for the next round to place elsewhere).
func (p *placement) place(ctx context.Context, round func(context.Context)) {
	for range maxRounds {
		asks := p.plan()
		if len(asks) == 0 || ctx.Err() != nil {
			return
		}
		p.allocate(ctx, asks)
		p.prune(ctx)
		round(ctx)
	}
}

// plan says which server to ask for which shares: every share stored
// nowhere goes to the least loaded server not asked for it yet (ring
// order breaks ties, so a rerun asks the same servers); then, while
// happiness is short of shares.happy, shares that do not count towards
// it go to servers holding nothing of this file.
func (p *placement) plan() map[*server][]int {
	all := union(union(p.have.byShare(), p.done.byShare()), p.ours.byShare())
	load := map[*server]int{}
	for _, ss := range all {
		for _, s := range ss {
			load[s]++
		}
	}
	asks := map[*server][]int{}
	ask := func(sh int, s *server) {
		asks[s] = append(asks[s], sh)
		all[sh] = append(all[sh], s)
		load[s]++
	}
	for sh := range p.total {
		if len(all[sh]) == 0 {
			if s := p.least(sh, load, false); s != nil {
				ask(sh, s)
			}
		}
	}
	n, matched := match(all)
	for sh := 0; sh < p.total && n < p.c.node.Happy; sh++ {
		if !matched[sh] {
			if s := p.least(sh, load, true); s != nil {
				ask(sh, s)
				n++
			}
		}
	}
	return asks
}

// least is the least loaded candidate not asked for sh yet (empty: only
// servers holding nothing).
func (p *placement) least(sh int, load map[*server]int, empty bool) *server {
	var best *server
	for _, s := range p.cands {
		if p.bad[s] || p.tried[spot{sh, s}] || (empty && load[s] > 0) {
			continue
		}
		if best == nil || load[s] < load[best] {
			best = s
		}
	}
	return best
}

// allocate asks each server for its shares, all servers at once.
func (p *placement) allocate(ctx context.Context, asks map[*server][]int) {
	servers := slices.Collect(maps.Keys(asks))
	fanOut(len(servers), func(i int) {
		s, shares := servers[i], asks[servers[i]]
		slices.Sort(shares)
		a, err := s.c.Allocate(ctx, p.si, shares, p.size, p.c.node.LeaseSecrets(p.si, s.info),
			p.c.node.UploadSecret(p.si, s.info))
		p.settle(func() {
			for _, sh := range shares {
				p.tried[spot{sh, s}] = true
			}
			if err != nil {
				p.serverFailed(s, err)
				return
			}
			for _, sh := range a.AlreadyHave {
				p.have[spot{sh, s}] = true
			}
			for _, sh := range a.Allocated {
				p.ours[spot{sh, s}] = true
			}
			for _, sh := range a.Busy {
				p.ours[spot{sh, s}], p.busy[spot{sh, s}] = true, true
			}
		})
		if err == nil {
			s.took(p.size * int64(len(a.Allocated)))
		}
	})
}

// prune gives up shares of ours that a server turned out to hold already,
// when happiness does not need our copy, and aborts them.
func (p *placement) prune(ctx context.Context) {
	var gone []spot
	for _, sp := range p.ours.sorted() {
		if !p.stored(sp.sh) {
			continue
		}
		all := p.placed()
		before := happiness(all)
		delete(p.ours, sp)
		if happiness(p.placed()) < before {
			p.ours[sp] = true
			continue
		}
		delete(p.busy, sp)
		gone = append(gone, sp)
	}
	p.abort(ctx, gone)
}

// stored reports whether share sh is complete on some server.
func (p *placement) stored(sh int) bool {
	for sp := range p.have {
		if sp.sh == sh {
			return true
		}
	}
	for sp := range p.done {
		if sp.sh == sh {
			return true
		}
	}
	return false
}

// placed is where the shares are or will be: found, written, to write.
func (p *placement) placed() map[int][]*server {
	return union(union(p.have.byShare(), p.done.byShare()), p.ours.byShare())
}

// stored is where the shares are now: found or written by us.
func (p *placement) complete() map[int][]*server {
	return union(p.have.byShare(), p.done.byShare())
}

// each runs fn for every spot of set (a snapshot), all at once.
func (p *placement) each(ctx context.Context, set spots, fn func(context.Context, spot)) {
	sps := set.sorted()
	fanOut(len(sps), func(i int) { fn(ctx, sps[i]) })
}

// fanOut runs fn(0), ..., fn(n-1) at once and waits for them; the last
// runs in the caller's goroutine, one goroutine fewer per object and
// server round (docs/direct.md, Client CPU).
func fanOut(n int, fn func(i int)) {
	if n <= 0 {
		return
	}
	var wg sync.WaitGroup
	for i := range n - 1 {
		wg.Go(func() { fn(i) })
	}
	fn(n - 1)
	wg.Wait()
}

// settle applies a change to the placement's sets; goroutines of one
// round call it concurrently.
func (p *placement) settle(fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn()
}

// wrote records a share written completely.
func (p *placement) wrote(sp spot) {
	p.settle(func() {
		delete(p.ours, sp)
		delete(p.busy, sp)
		p.done[sp] = true
	})
}

// drop gives up a share of ours after a failed write: it goes elsewhere in
// the next round. A conflict (different bytes already written: not ours
// after all, or from an incompatible encoder) is aborted first.
func (p *placement) drop(ctx context.Context, sp spot, err error) {
	if errors.Is(err, storageapi.ErrConflict) {
		p.abort(ctx, []spot{sp})
	}
	p.settle(func() {
		delete(p.ours, sp)
		delete(p.busy, sp)
		switch {
		case errors.Is(err, storageapi.ErrUnauthorized):
			p.note(sp, "being uploaded by another client")
		case errors.Is(err, storageapi.ErrNotFound):
			p.note(sp, "no room, or its upload ended")
		default:
			p.serverFailed(sp.s, err)
		}
	})
}

// serverFailed stops using s for this object (caller holds p.mu).
func (p *placement) serverFailed(s *server, err error) {
	if !p.bad[s] {
		p.bad[s] = true
		p.notes = append(p.notes, err.Error())
	}
	s.failed(err)
	for sp := range p.ours {
		if sp.s == s {
			delete(p.ours, sp)
			delete(p.busy, sp)
		}
	}
}

func (p *placement) note(sp spot, why string) {
	p.notes = append(p.notes, fmt.Sprintf("share %d on %s: %s", sp.sh, sp.s.name(), why))
}

// abort ends our uploads in progress of the given shares, best effort: a
// share left alone is aborted by its server after 30 minutes idle.
func (p *placement) abort(ctx context.Context, sps []spot) {
	var wg sync.WaitGroup
	for _, sp := range sps {
		wg.Go(func() {
			err := sp.s.c.Abort(ctx, p.si, sp.sh, p.c.node.UploadSecret(p.si, sp.s.info))
			if err != nil && !errors.Is(err, storageapi.ErrNotFound) && !errors.Is(err, storageapi.ErrUnauthorized) {
				p.c.log.Debug("direct: abort failed", "server", sp.s.name(), "err", err)
			}
		})
	}
	wg.Wait()
}

// release aborts every share of ours not written, after a failure.
func (p *placement) release(ctx context.Context) {
	var sps []spot
	p.settle(func() { sps = p.ours.sorted() })
	p.abort(context.WithoutCancel(ctx), sps)
}

// enough reports whether the shares stored reach shares.happy, and if
// not, why.
func (p *placement) enough() error {
	var h int
	p.settle(func() { h = happiness(p.complete()) })
	if h >= p.c.node.Happy {
		return nil
	}
	return p.shortError(h)
}

// shortError is the error for a placement that reached happiness h only.
func (p *placement) shortError(h int) error {
	e := &PlacementError{Happiness: h, Happy: p.c.node.Happy, Known: len(p.c.servers)}
	for _, s := range p.c.servers {
		if s.up() && !p.bad[s] {
			e.Reachable++
		}
		if !s.up() || !s.fits(p.size) { // p.notes say why a bad one failed
			e.Problems = append(e.Problems, s.name()+": "+s.why(p.size))
		}
	}
	p.settle(func() { e.Problems = append(e.Problems, p.notes...) })
	e.Problems = slices.Compact(e.Problems)
	return e
}
