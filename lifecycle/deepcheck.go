package lifecycle

import (
	"context"
	"errors"
	"strings"

	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// DeepCheckOptions configure DeepCheck.
type DeepCheckOptions struct {
	AddLease bool
	Repair   bool
	Root     int           // Problem.Root of what is reported
	Report   func(Problem) // nil drops problems
	Progress *Progress
	leases   *leases // Check's: which objects got their lease renewed
}

// DeepCheck checks every object below root with one t=stream-deep-check
// (the gateway walks the tree itself, one object at a time), reading the
// answer line by line. It returns the counts and the flags of the whole
// tree: a directory the gateway could not read ends the walk with
// FlagUnrecoverable|FlagIncomplete, any other failure with
// FlagFailed|FlagIncomplete. It returns an error only when ctx ends.
func DeepCheck(ctx context.Context, grid Grid, root lafsapi.Cap, o DeepCheckOptions) (Stats, Flags, error) {
	var st Stats
	var flags Flags
	var renewed []capKey
	defer func() { o.leases.addDeep(renewed, flags&(notRenewed|FlagIncomplete) == 0) }()
	report := func(p Problem) {
		if o.Report != nil {
			p.Root = o.Root
			o.Report(p)
		}
	}
	opts := lafsapi.CheckOptions{AddLease: o.AddLease, Repair: o.Repair}
	err := grid.StreamDeepCheck(ctx, root, opts, func(u lafsapi.DeepCheckUnit) error {
		if u.Type == "stats" {
			return nil
		}
		st.Objects++
		if o.Progress != nil {
			o.Progress.Deep.Add(1)
		}
		path := strings.Join(u.Path, "/")
		if u.Type == "unknown" || u.Cap.IsZero() {
			flags |= FlagUnrecoverable
			st.Unrecoverable++
			report(Problem{Path: path, Kind: ProblemUnrecoverable, Summary: errUnknownObject.Error()})
			return nil
		}
		out := judge(u.Check, nil, o.AddLease)
		st.add(out.stats)
		flags |= out.flags
		if out.stats.LeasesRenewed > 0 && out.flags&notRenewed == 0 {
			renewed = append(renewed, keyOf(u.Cap))
		}
		for _, p := range out.problems {
			p.Path = path
			report(p)
		}
		return nil
	})
	if err == nil || ctx.Err() != nil {
		return st, flags, ctx.Err()
	}
	var se *lafsapi.StreamError
	if errors.As(err, &se) || lafsapi.IsGone(err) || lafsapi.IsNotFound(err) {
		flags |= FlagUnrecoverable | FlagIncomplete
		st.Unreadable++
		path := ""
		if se != nil {
			path = strings.Join(se.Path, "/")
		}
		report(Problem{Path: path, Kind: ProblemUnreadable, Summary: lafsapi.RedactCaps(err.Error())})
		return st, flags, nil
	}
	flags |= FlagFailed | FlagIncomplete
	st.Failed++
	report(Problem{Kind: ProblemFailed, Summary: lafsapi.RedactCaps(err.Error())})
	return st, flags, nil
}
