package restore

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Dir is the local tree to compare with the backup (or with SubPath).
	Dir string
	// SubPath compares one subtree or entry of the backup, as for
	// Options.SubPath: a directory with Dir itself, anything else with
	// the entry of the same name inside Dir.
	SubPath string
	// Content also compares file content (streamed and hashed, SHA-256).
	Content bool
	// SamplePercent, with Content, hashes only about this share of the
	// files, picked at random; 0 or 100 means all.
	SamplePercent float64
	// Xattrs compares extended attributes other than ACLs and caps; set
	// it when the backup was made with source.xattrs.
	Xattrs bool
	// IgnoreOwner skips uid and gid (a restore made without root).
	IgnoreOwner bool
	// Skip tells which local entries the backup left out on purpose
	// (filter rules, special files not recorded...): they are not
	// reported as extra. rel is the raw path relative to Dir.
	Skip func(rel string, t fsmeta.Type) bool
	// LeftOut tells which local entries the backup itself recorded as
	// left out when it was made (unreadable, vanished): they are reported
	// as "skipped" (skipped when backed up), which is not a difference.
	// rel is the raw path relative to Dir. nil: none.
	LeftOut func(rel string) bool
	// Resolver maps names in ACLs (trees written by the original tool);
	// nil uses /etc/passwd and /etc/group.
	Resolver *fsmeta.Resolver
	// Jobs is the number of files hashed at once; default 4.
	Jobs int
	// Report, if set, gets each difference as it is found; the result
	// then keeps only the counts.
	Report func(Difference)
	// Logger gets per-path lines at noise level; nil discards.
	Logger *slog.Logger
	// Progress, if set, is told about each entry and each byte hashed.
	Progress Progress
}

// Difference is one way the backup and the local tree disagree.
type Difference struct {
	Path string // raw path relative to Dir ("" = Dir itself)
	// Kind is "missing" (in the backup, not in Dir), "extra" (in Dir, not
	// in the backup), "differs" (see Fields), "error" (see Err), or
	// "skipped": in Dir, not in the backup, which recorded it as left out
	// when it was made (VerifyOptions.LeftOut); not a difference.
	Kind   string
	Fields []fsmeta.Difference // A is the backup's value, B the local one
	Err    error
}

func (d Difference) String() string {
	switch d.Kind {
	case "differs":
		s := displayPath(d.Path) + ": differs:"
		for _, f := range d.Fields {
			s += " " + f.String() + ";"
		}
		return s[:len(s)-1]
	case "error":
		return fmt.Sprintf("%s: error: %v", displayPath(d.Path), d.Err)
	case "skipped":
		return displayPath(d.Path) + ": skipped when backed up"
	}
	return displayPath(d.Path) + ": " + d.Kind
}

// VerifyStats counts what Verify compared and found.
type VerifyStats struct {
	Format                            Format
	Name                              string
	Entries                           int64 // entries of the backup compared
	Hashed                            int64 // files whose content was compared
	Bytes                             int64 // content bytes hashed (local side)
	Missing, Extra, Different, Errors int64
	// SkippedAtBackup counts local entries the backup recorded as left
	// out (Kind "skipped"); Match does not count them.
	SkippedAtBackup int64
	// Differences holds every difference when VerifyOptions.Report is nil.
	Differences []Difference
}

// Match reports whether the trees matched.
func (s VerifyStats) Match() bool {
	return s.Missing+s.Extra+s.Different+s.Errors == 0
}

// Verify compares the backup whose root cap is root with the local tree
// o.Dir: entries missing on either side, and differences in type, size,
// mode, owner, ACL, caps, xattrs (with Xattrs), mtime, symlink target,
// hardlinks and (with Content) file content. Names are compared after
// the raw-name mapping. The error is for what stops the comparison as a
// whole; differences, including unreadable entries, are in the stats.
func Verify(ctx context.Context, g Grid, root lafsapi.Cap, o VerifyOptions) (VerifyStats, error) {
	o.setDefaults()
	t, err := openTop(ctx, g, root, o.SubPath)
	if err != nil {
		return VerifyStats{}, err
	}
	v := &verifier{g: g, o: o, top: t, sem: make(chan struct{}, o.Jobs)}
	v.stats.Format, v.stats.Name = t.format, t.name
	if err := v.run(ctx); err != nil {
		return v.stats, err
	}
	return v.stats, ctx.Err()
}

func (o *VerifyOptions) setDefaults() {
	if o.Jobs <= 0 {
		o.Jobs = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	if o.Resolver == nil {
		o.Resolver = fsmeta.NewResolver("")
	}
	if o.Skip == nil {
		o.Skip = func(string, fsmeta.Type) bool { return false }
	}
	if o.LeftOut == nil {
		o.LeftOut = func(string) bool { return false }
	}
}

// verifier is one run of Verify.
type verifier struct {
	g   Grid
	o   VerifyOptions
	top top

	mu    sync.Mutex
	stats VerifyStats

	sem chan struct{} // bounds content comparisons
	wg  sync.WaitGroup
}

func (v *verifier) report(d Difference) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch d.Kind {
	case "missing":
		v.stats.Missing++
	case "extra":
		v.stats.Extra++
	case "differs":
		v.stats.Different++
	case "skipped":
		v.stats.SkippedAtBackup++
	default:
		v.stats.Errors++
	}
	if v.o.Report != nil {
		v.o.Report(d)
		return
	}
	v.stats.Differences = append(v.stats.Differences, d)
}

func (v *verifier) count(f func(*VerifyStats)) {
	v.mu.Lock()
	f(&v.stats)
	v.mu.Unlock()
}
