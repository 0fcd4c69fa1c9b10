package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// Target is one tree to check.
type Target struct {
	Cap    lafsapi.Cap
	Backup *entrycache.Backup // its backups row; nil when the cache does not know it
}

// CheckMode chooses how Check goes over its targets.
type CheckMode int

const (
	// ModeRenew renews every target at once with Renew (one check per
	// distinct object), then deep-checks the newest successful target.
	ModeRenew CheckMode = iota
	// ModeDeep deep-checks each target on its own (one whole-tree walk
	// each, done by the gateway).
	ModeDeep
)

// CheckOptions configure Check.
type CheckOptions struct {
	Mode     CheckMode
	AddLease bool
	Repair   bool
	// LeasesOnly (ModeRenew) skips the deep-check of the newest backup.
	LeasesOnly bool
	Jobs       int
	// Mutable lists mutable directories (append_to_lafs_dir) whose own
	// lease is renewed with one t=check&add-lease=true each; their children
	// are not walked.
	Mutable []lafsapi.Cap
	// Report receives every problem; Problem.Root indexes the targets, or
	// is -1-i for Mutable[i]. Calls are serialised.
	Report   func(Problem)
	Progress *Progress
	Now      func() time.Time // default time.Now
}

// CheckResult is what Check found.
type CheckResult struct {
	Stats
	Flags   []Flags // per target, over its whole tree
	Mutable []Flags // per Mutable directory
	// Proved is true when the deep-check of the newest backup (ModeRenew)
	// ran to its end.
	Proved bool
	leases *leases // which objects got their lease renewed
}

// Worst is the flags of every target and mutable directory together.
func (r CheckResult) Worst() Flags {
	var f Flags
	for _, t := range r.Flags {
		f |= t
	}
	for _, m := range r.Mutable {
		f |= m
	}
	return f
}

// Check checks targets (and renews their leases when o.AddLease) and
// records the outcome in db (which may be nil: nothing is recorded): every
// backup whose tree answered gets checked_at, healthy_at only when all of
// it was healthy, and leases_renewed_at when add-lease ran over it; the
// cache rows of the objects whose leases were renewed (unhealthy ones
// included) get renewed_at (MarkRenewed), so the next backup does not
// check them again within its trust window. A
// target that fails does not stop the others. The error reports only
// ctx's end or the database refusing a mark.
func Check(ctx context.Context, grid Grid, db *entrycache.DB, targets []Target, o CheckOptions) (CheckResult, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	start := o.Now()
	res := CheckResult{Flags: make([]Flags, len(targets)), leases: new(leases)}
	var err error
	switch o.Mode {
	case ModeRenew:
		err = checkRenew(ctx, grid, targets, o, &res)
	case ModeDeep:
		err = checkDeep(ctx, grid, targets, o, &res)
	}
	if err != nil {
		return res, err
	}
	res.Mutable = renewMutable(ctx, grid, o)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, record(ctx, db, targets, &res, o.AddLease, start)
}

func checkRenew(ctx context.Context, grid Grid, targets []Target, o CheckOptions, res *CheckResult) error {
	caps := make([]lafsapi.Cap, len(targets))
	for i, t := range targets {
		caps[i] = t.Cap
	}
	rr, err := Renew(ctx, grid, caps, RenewOptions{Jobs: o.Jobs, AddLease: o.AddLease, Repair: o.Repair,
		Report: o.Report, Progress: o.Progress})
	if err != nil {
		return err
	}
	res.Stats, res.Flags, res.leases.g = rr.Stats, rr.Roots, rr.g
	n := newestOK(targets)
	if o.LeasesOnly || n < 0 || rr.Roots[n]&FlagIncomplete != 0 {
		return nil // nothing to prove, or already known unreadable
	}
	// The deep-check proves the newest backup reachable through the
	// gateway's own walk. Objects the renewal already judged are not
	// reported again; a walk the gateway could not finish always is.
	clean := rr.Roots[n].OK()
	report := func(p Problem) {
		if o.Report != nil && (clean || p.Kind == ProblemUnreadable || p.Kind == ProblemFailed) {
			o.Report(p)
		}
	}
	_, f, err := DeepCheck(ctx, grid, targets[n].Cap, DeepCheckOptions{AddLease: o.AddLease, Repair: o.Repair, Root: n,
		Report: report, Progress: o.Progress})
	if err != nil {
		return err
	}
	res.Flags[n] |= f
	res.Proved = f&FlagIncomplete == 0
	if clean && !f.OK() {
		// Something changed between the two passes: count what the
		// deep-check saw, or the summary would say all is well.
		res.Unhealthy += b2i(f&FlagUnhealthy != 0)
		res.Unrecoverable += b2i(f&FlagUnrecoverable != 0)
	}
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// newestOK is the index of the most recently finished successful target,
// or -1.
func newestOK(targets []Target) int {
	n := -1
	for i, t := range targets {
		if t.Backup == nil || t.Backup.Status != entrycache.StatusOK {
			continue
		}
		if n < 0 || t.Backup.Finished.After(targets[n].Backup.Finished) {
			n = i
		}
	}
	return n
}

func checkDeep(ctx context.Context, grid Grid, targets []Target, o CheckOptions, res *CheckResult) error {
	for i, t := range targets {
		st, f, err := DeepCheck(ctx, grid, t.Cap, DeepCheckOptions{AddLease: o.AddLease, Repair: o.Repair, Root: i,
			Report: o.Report, Progress: o.Progress, leases: res.leases})
		if err != nil {
			return err
		}
		res.Stats.add(st)
		res.Flags[i] = f
	}
	return nil
}

// renewMutable renews the leases of the mutable directories (only with
// add-lease: a check alone says little about a directory we rewrite).
func renewMutable(ctx context.Context, grid Grid, o CheckOptions) []Flags {
	out := make([]Flags, len(o.Mutable))
	if !o.AddLease {
		return out
	}
	for i, dir := range o.Mutable {
		r, err := grid.Check(ctx, dir, lafsapi.CheckOptions{AddLease: true, Repair: o.Repair})
		if ctx.Err() != nil {
			return out
		}
		j := judge(r, err, true)
		out[i] = j.flags
		for _, p := range j.problems {
			if o.Report != nil {
				p.Root = -1 - i
				o.Report(p)
			}
		}
	}
	return out
}

// record writes the marks of each known backup and of the cache rows
// (docs/lifecycle.md, What is recorded). One failing mark does not stop
// the others.
func record(ctx context.Context, db *entrycache.DB, targets []Target, res *CheckResult, addLease bool, at time.Time) error {
	if db == nil {
		return nil
	}
	var errs []error
	done := map[int64]bool{}
	for i, t := range targets {
		b := t.Backup
		if b == nil || done[b.ID] {
			continue
		}
		done[b.ID] = true
		if err := markBackup(ctx, db, b.ID, res.Flags[i], addLease, at); err != nil {
			errs = append(errs, err)
		}
	}
	// Rows by the caps whose leases were renewed, never by generation: a
	// row of generation G need not be in backup G's tree. Unhealthy
	// objects (a node down) got their lease and count.
	if addLease && len(targets) > 0 {
		if _, err := db.MarkRenewed(ctx, at, res.leases.renewed()); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("recording the check: %w", errors.Join(errs...))
	}
	return nil
}

// markBackup records one backup's check: checked when its tree answered,
// healthy when all of it was, and leases renewed whenever add-lease ran
// over it without the gateway failing requests, even when a directory
// could not be read (SPEC 10.2: so that check -a rotates instead of
// picking that backup on every run).
func markBackup(ctx context.Context, db *entrycache.DB, id int64, f Flags, addLease bool, at time.Time) error {
	var errs []error
	if f&FlagFailed == 0 {
		if err := db.MarkChecked(ctx, id, at, f.OK()); err != nil && !errors.Is(err, entrycache.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	if addLease && f&FlagFailed == 0 {
		if err := db.MarkLeasesRenewed(ctx, id, at); err != nil && !errors.Is(err, entrycache.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Freshness is how old the newest successful backup and the oldest lease
// renewal are.
type Freshness struct {
	Newest          *entrycache.Backup // newest successful (StatusOK) backup; nil if none
	NewestAge       time.Duration
	OldestRenew     *entrycache.Backup // backup whose leases were renewed longest ago
	OldestRenewedAt time.Time          // when: leases_renewed_at, or its finish if later
	RenewAge        time.Duration
}

// GetFreshness reads the ages from db's backups table. A backup counts as
// renewed when it finished (its run uploaded, or re-checked with add-lease,
// what it did not find fresh in the cache) or when check renewed it,
// whichever is later.
func GetFreshness(ctx context.Context, db *entrycache.DB, now time.Time) (Freshness, error) {
	var fr Freshness
	bs, err := db.Backups(ctx, entrycache.BackupFilter{})
	if err != nil {
		return fr, err
	}
	for i := range bs {
		b := &bs[i]
		if b.Status == entrycache.StatusOK && (fr.Newest == nil || b.Finished.After(fr.Newest.Finished)) {
			fr.Newest = b
		}
		r := b.Finished
		if b.LeasesRenewedAt.After(r) {
			r = b.LeasesRenewedAt
		}
		if fr.OldestRenew == nil || r.Before(fr.OldestRenewedAt) {
			fr.OldestRenew, fr.OldestRenewedAt = b, r
		}
	}
	if fr.Newest != nil {
		fr.NewestAge = now.Sub(fr.Newest.Finished)
	}
	if fr.OldestRenew != nil {
		fr.RenewAge = now.Sub(fr.OldestRenewedAt)
	}
	return fr, nil
}
