package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/lifecycle"
)

var checkCommand = &command{
	Name:    "check",
	Summary: "renew the leases of every kept backup and report unhealthy objects",
	Args:    "[BACKUP...]",
	Help: `Without arguments, check renews the leases of everything the recorded backups
reach, the scalable way: every distinct directory is read once (unchanged
subtrees are shared between generations, so keeping many costs little
more than keeping one) and every distinct object gets one
t=check&add-lease=true, --jobs at a time. Then the newest successful backup
is deep-checked (t=stream-deep-check, add-lease) to prove it is reachable
through the gateway's own walk (--leases-only skips this). The mutable
append_to_lafs_dir gets its own lease renewed too.

With BACKUP arguments (caps, -, @FILE, gen:N or names), --least-renewed
(the backup whose leases were renewed longest ago: run it nightly and the
deep-checks rotate through the kept backups) or --all (every backup, one
after the other), each is deep-checked on its own instead. The old -a
still means --least-renewed, never --all, and warns.

Unhealthy and unrecoverable objects are printed on stdout with their path,
then a summary goes to stderr: objects, healthy, unhealthy, unrecoverable,
repaired, leases renewed, and the age of the newest successful backup and
of the oldest lease renewal. A backup is marked checked when its check
answered, healthy only when everything in it was, and renewed when
add-lease reached its whole tree; one failing backup does not stop the
others. check takes no lock: it never blocks a backup. Like backup, it
refuses (exit 2) a gateway whose storage servers the entry cache has never
seen, where every backup would look lost, unless --accept-grid.

Exit 0 when everything is healthy; 6 when something is unhealthy but
recoverable (one storage node down is normal), or with --max-age when the
newest backup or the oldest renewal is older than DURATION; 7 when
something is unrecoverable or a backup cannot be read; 1 when the gateway
failed to answer.`,
	Setup: func(fs *flag.FlagSet) runFunc {
		var o checkOptions
		fs.BoolVar(&o.noLease, "no-lease", false, "do not renew leases (add-lease is sent by default)")
		fs.BoolVar(&o.repair, "repair", false, "repair unhealthy objects")
		fs.BoolVar(&o.oldest, "least-renewed", false, "deep-check only the backup whose leases were renewed longest ago")
		fs.BoolVar(&o.all, "all", false, "deep-check every backup, one after the other")
		deprecated(fs, "a", "least-renewed", "not --all")
		fs.BoolVar(&o.leasesOnly, "leases-only", false, "renew leases without the deep-check of the newest backup")
		fs.DurationVar(&o.maxAge, "max-age", 0, "exit 6 when the newest backup or the oldest lease renewal is older than `DURATION`")
		fs.BoolVar(&o.acceptGrid, "accept-grid", false, "accept a gateway whose storage servers the entry cache has never seen")
		fs.IntVar(&o.jobs, "jobs", 0, "`N` directory reads and N checks in flight (default operation.jobs)")
		return func(ctx context.Context, e *env, args []string) error {
			o.args = args
			switch {
			case o.oldest && o.all:
				return &usageError{"--least-renewed and --all exclude each other"}
			case o.all && len(args) > 0:
				return &usageError{"--all checks every backup: give no BACKUP arguments"}
			case o.leasesOnly && (o.all || o.oldest || len(args) > 0):
				return &usageError{"--leases-only applies to the default check of every backup"}
			case o.maxAge < 0:
				return &usageError{"--max-age must be positive"}
			}
			return runCheck(ctx, e, o)
		}
	},
}

type checkOptions struct {
	args       []string
	noLease    bool
	repair     bool
	oldest     bool
	all        bool
	leasesOnly bool
	maxAge     time.Duration
	acceptGrid bool
	jobs       int
}

func (o checkOptions) mode() lifecycle.CheckMode {
	if o.oldest || o.all || len(o.args) > 0 {
		return lifecycle.ModeDeep
	}
	return lifecycle.ModeRenew
}

func runCheck(ctx context.Context, e *env, o checkOptions) error {
	if o.jobs <= 0 {
		o.jobs = e.Config.Operation.Jobs
	}
	var db *entrycache.DB
	if len(o.args) == 0 || o.oldest || e.Config.Source.EntryCache.Path != "" {
		var err error
		if db, err = openCache(ctx, e, "check"); err != nil {
			return err
		}
		defer db.Close()
	}
	targets, err := checkTargets(ctx, e, db, o)
	if err != nil {
		return err
	}
	client, err := newClient(e, o.jobs)
	if err != nil {
		return err
	}
	grid, node, closeGrid, err := checkGridFor(e, client, o.jobs)
	if err != nil {
		return err
	}
	defer closeGrid()
	if len(targets) > 0 || e.Config.Destination.Result.AppendToLAFSDir.Value() != "" {
		st, err := checkGridOf(ctx, client, db, o.acceptGrid)
		if err == nil {
			err = sameGrid(e.Config, node, st)
		}
		if err != nil {
			return err
		}
	}
	rep := &checkReporter{e: e, targets: targets}
	opts := lifecycle.CheckOptions{Mode: o.mode(), AddLease: !o.noLease, Repair: o.repair,
		LeasesOnly: o.leasesOnly, Jobs: o.jobs, Report: rep.problem}
	opts.Mutable = mutableDirs(ctx, e, client, rep)
	start := time.Now()
	opts.Progress = new(lifecycle.Progress)
	rep.stop = startStatus(e, func() string { return checkStatus(opts.Progress, start) })
	res, err := lifecycle.Check(ctx, grid, db, targets, opts)
	rep.stopStatus()
	if err != nil && ctx.Err() != nil {
		return err
	}
	var fr *lifecycle.Freshness
	if db != nil {
		f, ferr := lifecycle.GetFreshness(ctx, db, time.Now())
		if ferr != nil {
			return errors.Join(err, ferr)
		}
		fr = &f
	}
	stale := printCheckSummary(e, o, targets, res, fr, time.Since(start))
	if err != nil {
		return err
	}
	return checkVerdict(res, rep.mutableFailed, stale)
}

// checkGridOf makes sure the gateway reaches storage servers, and the grid
// the entry cache's caps belong to: against another grid every backup
// would look unrecoverable and be marked so. It returns the gateway's
// status, for sameGrid.
func checkGridOf(ctx context.Context, client *lafsapi.Client, db *entrycache.DB, accept bool) (lafsapi.Status, error) {
	if db != nil {
		return checkGrid(ctx, client, db, accept)
	}
	st, err := client.NodeStatus(ctx)
	if err != nil {
		return st, fmt.Errorf("asking the gateway for its storage servers: %w", err)
	}
	if len(st.ConnectedServers()) == 0 {
		return st, entrycache.ErrNoServers
	}
	return st, nil
}

// checkTargets picks what to check.
func checkTargets(ctx context.Context, e *env, db *entrycache.DB, o checkOptions) ([]lifecycle.Target, error) {
	var targets []lifecycle.Target
	if len(o.args) > 0 {
		for _, a := range o.args {
			ref, err := resolveBackup(ctx, e, a)
			if err != nil {
				return nil, err
			}
			targets = append(targets, lifecycle.Target{Cap: ref.Cap, Backup: ref.Backup})
		}
		if o.oldest {
			return oldestRenewed(targets), nil
		}
		return targets, nil
	}
	f := entrycache.BackupFilter{Order: entrycache.OrderFinished, Desc: true}
	if o.oldest {
		f = entrycache.BackupFilter{Order: entrycache.OrderLeasesRenewed, Limit: 1}
	}
	bs, err := db.Backups(ctx, f)
	if err != nil {
		return nil, err
	}
	for i := range bs {
		c, err := lafsapi.ParseCap(bs[i].Cap)
		if err != nil {
			return nil, fmt.Errorf("backup of generation %d: the recorded cap: %w", bs[i].Generation, err)
		}
		targets = append(targets, lifecycle.Target{Cap: c, Backup: &bs[i]})
	}
	return targets, nil
}

// oldestRenewed is the target whose leases were renewed longest ago
// (never first; caps the cache does not know count as never).
func oldestRenewed(ts []lifecycle.Target) []lifecycle.Target {
	best := 0
	when := func(t lifecycle.Target) time.Time {
		if t.Backup == nil {
			return time.Time{}
		}
		return t.Backup.LeasesRenewedAt
	}
	for i, t := range ts {
		if when(t).Before(when(ts[best])) {
			best = i
		}
	}
	return ts[best : best+1]
}

// mutableDirs resolves append_to_lafs_dir into the mutable directories
// whose leases check renews: the top one and, with a subpath, the one
// links go into.
func mutableDirs(ctx context.Context, e *env, client *lafsapi.Client, rep *checkReporter) []lafsapi.Cap {
	spec := e.Config.Destination.Result.AppendToLAFSDir.Value()
	if spec == "" {
		return nil
	}
	top, err := lafsapi.ParseCap(strings.SplitN(strings.Trim(spec, "/"), "/", 2)[0])
	if err != nil {
		rep.mutableError(err)
		return nil
	}
	dirs := []lafsapi.Cap{top}
	dir, err := resolveDirSpec(ctx, client, spec)
	if err != nil {
		rep.mutableError(err)
		return dirs
	}
	if !dir.Equal(top) {
		dirs = append(dirs, dir)
	}
	return dirs
}

// checkReporter prints problems as they are found.
type checkReporter struct {
	e             *env
	targets       []lifecycle.Target
	stop          func() // the status line's
	mu            sync.Mutex
	mutableFailed bool
}

// label names a target (or a mutable directory) in reports.
func (r *checkReporter) label(root int) string {
	if root < 0 {
		return "append_to_lafs_dir"
	}
	if b := r.targets[root].Backup; b != nil {
		return fmt.Sprintf("gen:%d %s", b.Generation, displayName(b.Name))
	}
	return fmt.Sprintf("BACKUP #%d", root+1)
}

// checkStatus is the status line on a terminal.
func checkStatus(p *lifecycle.Progress, start time.Time) string {
	secs := max(time.Since(start).Seconds(), 0.001)
	s := fmt.Sprintf("check: %s reached, %d checked (%.0f/s)", plural(p.Reached.Load(), "object"), p.Checked.Load(),
		float64(p.Checked.Load())/secs)
	if d := p.Deep.Load(); d > 0 {
		s += fmt.Sprintf(", %d deep-checked", d)
	}
	return s
}

// stopStatus erases the status line for good (problems would mix with it).
func (r *checkReporter) stopStatus() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked()
}

func (r *checkReporter) stopLocked() {
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
}

func (r *checkReporter) problem(p lifecycle.Problem) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked()
	path := pathesc.Escape(p.Path)
	if path == "" {
		path = "."
	}
	if r.e.JSON {
		json.NewEncoder(r.e.Stdout).Encode(map[string]any{"kind": p.Kind, "backup": r.label(p.Root),
			"path": path, "summary": p.Summary})
		return
	}
	fmt.Fprintf(r.e.Stdout, "%-13s %s: %s: %s\n", p.Kind, r.label(p.Root), path, p.Summary)
}

func (r *checkReporter) mutableError(err error) {
	r.mu.Lock()
	r.mutableFailed = true
	r.mu.Unlock()
	r.e.Log.Error("append_to_lafs_dir: its lease cannot be renewed", "err", lafsapi.RedactCaps(err.Error()))
}

// checkVerdict maps what check found to the exit code.
func checkVerdict(res lifecycle.CheckResult, mutableFailed, stale bool) error {
	worst := res.Worst()
	switch {
	case worst&lifecycle.FlagUnrecoverable != 0:
		return coded(exitUnrecoverable, "%s unrecoverable, %s unreadable", plural(res.Unrecoverable, "object"), plural(res.Unreadable, "directory"))
	case worst&lifecycle.FlagFailed != 0 || mutableFailed:
		return fmt.Errorf("%s failed: the gateway did not answer; see above", plural(max(res.Failed, 1), "request"))
	case worst&lifecycle.FlagUnhealthy != 0:
		return coded(exitDifferences, "%s unhealthy (recoverable)", plural(res.Unhealthy, "object"))
	case stale:
		return coded(exitDifferences, "a backup or a lease renewal is older than --max-age")
	}
	return nil
}

// printCheckSummary prints the summary and reports whether --max-age is
// exceeded.
func printCheckSummary(e *env, o checkOptions, targets []lifecycle.Target, res lifecycle.CheckResult,
	fr *lifecycle.Freshness, took time.Duration) bool {
	stale := false
	var newestAge, renewAge any
	if fr != nil {
		stale = o.maxAge > 0 && (fr.Newest == nil || fr.NewestAge > o.maxAge || fr.RenewAge > o.maxAge)
		if fr.Newest != nil {
			newestAge = fr.NewestAge.Seconds()
		}
		if fr.OldestRenew != nil {
			renewAge = fr.RenewAge.Seconds()
		}
	}
	if e.JSON {
		json.NewEncoder(e.Stdout).Encode(map[string]any{"summary": map[string]any{
			"backups": len(targets), "objects": res.Objects, "healthy": res.Healthy, "unhealthy": res.Unhealthy,
			"unrecoverable": res.Unrecoverable, "unreadable": res.Unreadable, "repaired": res.Repaired,
			"leases_renewed": res.LeasesRenewed, "failed": res.Failed, "check_requests": res.Requests,
			"newest_backup_age_seconds": newestAge, "oldest_renewal_age_seconds": renewAge,
			"stale": stale, "seconds": took.Seconds()}})
		return stale
	}
	fmt.Fprintf(e.Stderr, "check: %s, %s: %d healthy, %d unhealthy, %d unrecoverable",
		plural(len(targets), "backup"), plural(res.Objects, "object"), res.Healthy, res.Unhealthy, res.Unrecoverable)
	if res.Unreadable > 0 {
		fmt.Fprintf(e.Stderr, ", %s unreadable", plural(res.Unreadable, "directory"))
	}
	if res.Failed > 0 {
		fmt.Fprintf(e.Stderr, ", %s failed", plural(res.Failed, "request"))
	}
	fmt.Fprintf(e.Stderr, "; %d repaired; leases renewed on %s in %s\n", res.Repaired, plural(res.LeasesRenewed, "object"), took.Round(time.Millisecond))
	if fr != nil {
		fmt.Fprintf(e.Stderr, "check: newest successful backup: %s; oldest lease renewal: %s\n",
			ageText(fr.Newest, fr.NewestAge), ageText(fr.OldestRenew, fr.RenewAge))
	}
	if stale {
		fmt.Fprintf(e.Stderr, "check: older than --max-age %s\n", o.maxAge)
	}
	return stale
}

func ageText(b *entrycache.Backup, age time.Duration) string {
	if b == nil {
		return "none"
	}
	return fmt.Sprintf("%s ago (gen:%d %s)", age.Round(time.Second), b.Generation, displayName(b.Name))
}
