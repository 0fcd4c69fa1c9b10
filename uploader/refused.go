package uploader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lafs-backup/lafs-backup/internal/pathesc"
)

// ErrRefused is what a Grid wraps when the storage servers refuse to store
// an object for now although enough of them answer: after a kill -9 they
// hold the interrupted upload's partial shares of the same content (up to
// 30 minutes), or they are full. The uploader sets such an object aside,
// finishes everything else, and retries it at the end of the run
// (docs/uploader.md, Refused objects).
var ErrRefused = errors.New("the storage servers refuse this object for now")

// DefaultRefusedWait is how long the driver waits, once nothing else is
// left to do, before it retries the objects set aside.
const DefaultRefusedWait = 15 * time.Second

// maxRefused: more refusals than this in one run are not the leftovers of
// interrupted uploads (a run leaves at most its jobs' worth); the grid
// refuses new content (full servers), and the run ends with the error.
const maxRefused = 64

// refusals are the objects set aside after a refusal, until the driver
// retries them.
type refusals struct {
	waiting []*node        // set aside, not handed out again yet
	retried map[*node]bool // every node set aside in this run
	timer   *time.Timer    // runs while the driver waits to retry waiting
}

// setAside keeps n for the retry round; false when n was set aside
// before (its retry was refused again).
func (r *refusals) setAside(n *node) bool {
	if r.retried[n] {
		return false
	}
	if r.retried == nil {
		r.retried = map[*node]bool{}
	}
	r.retried[n] = true
	r.waiting = append(r.waiting, n)
	return true
}

// start begins the wait before the retry round, when there is something
// to retry; false when there is not (the driver then has nothing at all
// to do).
func (r *refusals) start(ctx context.Context, wait time.Duration, log *slog.Logger) bool {
	if r.timer != nil {
		return true
	}
	if len(r.waiting) == 0 {
		return false
	}
	log.InfoContext(ctx, "retrying what the storage servers refused", "objects", len(r.waiting), "after", wait)
	r.timer = time.NewTimer(max(wait, 0))
	return true
}

// due fires when the wait is over; nil (never) when not waiting.
func (r *refusals) due() <-chan time.Time {
	if r.timer == nil {
		return nil
	}
	return r.timer.C
}

// take ends the wait and returns the nodes to hand out again.
func (r *refusals) take() []*node {
	ns := r.waiting
	r.waiting, r.timer = nil, nil
	return ns
}

func (r *refusals) stop() {
	if r.timer != nil {
		r.timer.Stop()
	}
}

// refused handles a worker's error: a first refusal sets the node aside,
// a second leaves it out of its directory as a problem (exit 3: the next
// run uploads it); anything else, and a root that cannot be left out, ends
// the run.
func (b *build) refused(ctx context.Context, n *node, err error) error {
	if !errors.Is(err, ErrRefused) {
		return err
	}
	if len(b.aside.retried) >= maxRefused && !b.aside.retried[n] {
		return fmt.Errorf("uploader: the storage servers refused more than %d objects of this run, "+
			"more than interrupted uploads leave (are they full?): %w", maxRefused, err)
	}
	if b.aside.setAside(n) {
		b.stats.setAside.Add(1)
		b.log.InfoContext(ctx, "set aside: the storage servers refuse it for now; retried at the end of the run",
			"path", pathesc.Escape(n.path))
		b.log.DebugContext(ctx, "refused", "path", pathesc.Escape(n.path), "err", err)
		return nil
	}
	if n.kind == kindWrapper || n == b.tree.root {
		return fmt.Errorf("%w (retried after %v)", err, b.opts.RefusedWait)
	}
	b.problem(n, ProblemRefused, refusedReason(n))
	n.omit = true
	b.finished(n)
	return nil
}

func refusedReason(n *node) string {
	why := "the storage servers refuse it for now (an interrupted upload of the same content may hold " +
		"its shares for up to 30 minutes, or they are full); the next run uploads it"
	if n.kind == kindDir {
		return "directory left out with everything in it: " + why
	}
	return why
}
