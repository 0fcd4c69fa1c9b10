package lifecycle

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/lafs-backup/lafs-backup/lafsapi"
)

var errUnknownObject = errors.New("unknown object: the gateway does not understand its cap")

// ProblemKind says what is wrong with a reported object.
type ProblemKind string

const (
	ProblemUnhealthy     ProblemKind = "unhealthy"     // readable, fewer shares than expected
	ProblemUnrecoverable ProblemKind = "unrecoverable" // not enough shares to read it, or unknown
	ProblemUnreadable    ProblemKind = "unreadable"    // a directory that could not be listed: its subtree was not reached
	ProblemFailed        ProblemKind = "failed"        // a request failed: no verdict
	ProblemRepaired      ProblemKind = "repaired"      // was unhealthy and has been repaired
)

// Problem is one object worth reporting.
type Problem struct {
	Root    int    // index of the (first) root it was reached from
	Path    string // on-grid names from that root, joined by "/"; "" for the root
	Kind    ProblemKind
	Summary string // the gateway's summary, or the error (caps removed)
}

// Stats count distinct objects by outcome.
type Stats struct {
	Objects       int64 // distinct objects reached (LIT ones included)
	Healthy       int64 // healthy (after repair, when one was made)
	Unhealthy     int64 // readable but not healthy (after any repair)
	Unrecoverable int64 // not readable, or unknown
	Repaired      int64 // repaired successfully
	LeasesRenewed int64 // objects whose shares add-lease renewed
	Unreadable    int64 // directories that could not be listed (their subtrees were not reached)
	Failed        int64 // requests that failed without a verdict (gateway or network errors)
	Requests      int64 // t=check requests sent (the walk's directory reads not counted)
}

func (s *Stats) add(o Stats) {
	s.Objects += o.Objects
	s.Healthy += o.Healthy
	s.Unhealthy += o.Unhealthy
	s.Unrecoverable += o.Unrecoverable
	s.Repaired += o.Repaired
	s.LeasesRenewed += o.LeasesRenewed
	s.Unreadable += o.Unreadable
	s.Failed += o.Failed
	s.Requests += o.Requests
}

// Progress counts work as it happens, for a status line; read it at any
// time. A nil *Progress counts nothing.
type Progress struct {
	Reached atomic.Int64 // distinct objects the walk reached
	Checked atomic.Int64 // of those, objects whose check answered (or needed none: LIT)
	Deep    atomic.Int64 // objects reported by deep-checks
}

func (p *Progress) reached() {
	if p != nil {
		p.Reached.Add(1)
	}
}

func (p *Progress) checked() {
	if p != nil {
		p.Checked.Add(1)
	}
}

// RenewOptions configure Renew.
type RenewOptions struct {
	Jobs     int  // directory reads and checks in flight, each; default 4
	AddLease bool // t=check&add-lease=true (the point of renewal)
	Repair   bool // also repair unhealthy objects
	// Report receives each problem (and each repair) as it is found; calls
	// are serialised. Nil drops them.
	Report   func(Problem)
	Progress *Progress
}

// RenewResult is what Renew found.
type RenewResult struct {
	Stats
	// Roots holds, for each root given, the flags of every object its tree
	// reaches (a shared object counts for every root that reaches it).
	Roots []Flags
	g     *graph // every object reached, for the cache rows' marks
}

// Renew reaches every distinct object below roots, reading each distinct
// directory once, and sends one t=check (with add-lease and repair as
// asked) per distinct non-LIT object, o.Jobs at a time. Problems do not
// stop it; it returns an error only when ctx ends.
func Renew(ctx context.Context, grid Grid, roots []lafsapi.Cap, o RenewOptions) (RenewResult, error) {
	if o.Jobs <= 0 {
		o.Jobs = 4
	}
	g := newGraph()
	r := &renewer{grid: grid, opts: o, g: g}
	w := &walker{grid: grid, g: g, jobs: o.Jobs, visit: r.check, problem: r.walkProblem, progress: o.Progress}
	if err := w.walk(ctx, roots); err != nil {
		return RenewResult{}, err
	}
	res := RenewResult{Stats: r.stats, Roots: make([]Flags, len(roots)), g: g}
	res.Objects += int64(g.len())
	for i, c := range roots {
		if id, ok := g.lookup(c); ok {
			res.Roots[i] = g.subtree(id)
		}
	}
	return res, nil
}

type renewer struct {
	grid  Grid
	opts  RenewOptions
	mu    sync.Mutex
	stats Stats
	g     *graph
}

func (r *renewer) report(p Problem) {
	if r.opts.Report != nil {
		r.opts.Report(p)
	}
}

// check checks one newly reached object.
func (r *renewer) check(ctx context.Context, it item) {
	defer r.opts.Progress.checked()
	if it.cap.IsLIT() {
		r.mu.Lock()
		r.stats.Healthy++
		r.mu.Unlock()
		return
	}
	res, err := r.grid.Check(ctx, it.cap, lafsapi.CheckOptions{AddLease: r.opts.AddLease, Repair: r.opts.Repair})
	if ctx.Err() != nil {
		return
	}
	o := judge(res, err, r.opts.AddLease)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.add(o.stats)
	r.stats.Requests++
	if o.flags != 0 {
		r.g.mark(it.id, o.flags)
	}
	for _, p := range o.problems {
		p.Root, p.Path = it.root, it.path.String()
		r.report(p)
	}
}

// walkProblem reports an unlistable directory (the directory itself is
// counted by its own check) or an unknown child (counted here: it has no
// cap to check).
func (r *renewer) walkProblem(it item, name string, f Flags, err error) {
	p := Problem{Root: it.root, Path: it.path.String(), Summary: lafsapi.RedactCaps(err.Error())}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case name != "":
		p.Path = joinPath(p.Path, name)
		p.Kind = ProblemUnrecoverable
		r.stats.Objects++
		r.stats.Unrecoverable++
	case f&FlagFailed != 0:
		p.Kind = ProblemFailed
		r.stats.Failed++
	default:
		p.Kind = ProblemUnreadable
		r.stats.Unreadable++
	}
	r.report(p)
}

func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// outcome is the judgement of one check.
type outcome struct {
	flags    Flags
	stats    Stats
	problems []Problem // without Root and Path
}

// judge turns one check answer into flags, counts and problems.
func judge(res lafsapi.CheckResult, err error, addLease bool) outcome {
	var o outcome
	if err != nil {
		msg := lafsapi.RedactCaps(err.Error())
		if lafsapi.IsGone(err) {
			o.flags, o.stats.Unrecoverable = FlagUnrecoverable, 1
			o.problems = []Problem{{Kind: ProblemUnrecoverable, Summary: msg}}
			return o
		}
		o.flags, o.stats.Failed = FlagFailed, 1
		o.problems = []Problem{{Kind: ProblemFailed, Summary: msg}}
		return o
	}
	if addLease && res.SharesGood > 0 {
		o.stats.LeasesRenewed = 1
	}
	if res.RepairAttempted && res.RepairSuccessful {
		o.stats.Repaired = 1
		pre := res.Summary
		if res.PreRepair != nil {
			pre = res.PreRepair.Summary
		}
		o.problems = append(o.problems, Problem{Kind: ProblemRepaired, Summary: pre})
	}
	switch {
	case !res.Recoverable:
		o.flags, o.stats.Unrecoverable = FlagUnrecoverable, 1
		o.problems = append(o.problems, Problem{Kind: ProblemUnrecoverable, Summary: res.Summary})
	case !res.Healthy:
		o.flags, o.stats.Unhealthy = FlagUnhealthy, 1
		o.problems = append(o.problems, Problem{Kind: ProblemUnhealthy, Summary: res.Summary})
	default:
		o.stats.Healthy = 1
	}
	return o
}
