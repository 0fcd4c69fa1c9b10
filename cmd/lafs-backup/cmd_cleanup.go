package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/lifecycle"
)

var cleanupCommand = &command{
	Name:    "cleanup",
	Summary: "forget backups: by cap, name or generation, or by a retention policy",
	Args:    "[BACKUP...]",
	Help: `Removes backups from the entry cache (their backups rows, and the cache rows
their generations were the last to use), their link in append_to_lafs_dir
(only while it still points to that backup, and only when no kept backup
has the same cap) and their lines in append_to_file (rewritten atomically;
blank and foreign lines survive). Nothing is deleted on the grid: 'check'
stops renewing the leases of what no kept backup reaches, and the storage
servers let it expire.

What goes, either:
  BACKUP...       caps (URI:..., - for stdin or @FILE, one per line: every
                  backup recorded with the cap), gen:N, or a name (its
                  newest completed backup);
  -g GEN          a generation: its backup, and its cache rows even when no
                  backup carries it (a dangling generation, see list -g);
  --up-to GEN     every backup and generation up to GEN;
or a retention policy, which removes every backup none of its rules keeps:
  --keep-last N   the N newest backups;
  --keep-hourly N, --keep-daily N, --keep-weekly N, --keep-monthly N,
  --keep-yearly N the newest backup of each of the N newest periods that
                  have one (local time; weeks are ISO weeks; -1 = all).
Rules combine as a union, per configured source pattern, and the newest
successful backup of each source is always kept.

--dry-run prints what would be removed and kept, and changes nothing.
-e lists the storage indexes of every object the removed backups reach and
no kept backup does (on stdout, or in FILE with -e=FILE): only these could
ever be deleted from storage servers by hand. -n only enumerates.

cleanup holds the entry cache lock, as backup does (exit 4 if a backup is
running, unless --wait).`,
	Setup: func(fs *flag.FlagSet) runFunc {
		var o cleanupOptions
		fs.Var(&o.gens, "generation", "remove generation `GEN` (repeatable)")
		alias(fs, "g", "generation")
		fs.Int64Var(&o.upTo, "up-to", 0, "remove every backup and generation up to `GEN`")
		fs.IntVar(&o.policy.Last, "keep-last", 0, "keep the `N` newest backups")
		fs.IntVar(&o.policy.Hourly, "keep-hourly", 0, "keep the newest backup of each of the last `N` hours that have one")
		fs.IntVar(&o.policy.Daily, "keep-daily", 0, "keep the newest backup of each of the last `N` days that have one")
		fs.IntVar(&o.policy.Weekly, "keep-weekly", 0, "keep the newest backup of each of the last `N` weeks that have one")
		fs.IntVar(&o.policy.Monthly, "keep-monthly", 0, "keep the newest backup of each of the last `N` months that have one")
		fs.IntVar(&o.policy.Yearly, "keep-yearly", 0, "keep the newest backup of each of the last `N` years that have one")
		fs.BoolVar(&o.dryRun, "dry-run", false, "print what would be removed and change nothing")
		fs.Var(&o.enumerate, "enumerate-shares", "list the storage indexes only the removed backups reach (to `FILE` if given)")
		alias(fs, "e", "enumerate-shares")
		fs.BoolVar(&o.enumOnly, "enumerate-only", false, "with -e: only enumerate, remove nothing")
		alias(fs, "n", "enumerate-only")
		fs.DurationVar(&o.wait, "wait", 0, "wait up to `DURATION` for a running backup's lock instead of exiting with code 4")
		fs.IntVar(&o.jobs, "jobs", 0, "`N` directories read at once for -e (default operation.jobs)")
		return func(ctx context.Context, e *env, args []string) error {
			o.args = args
			if err := o.validate(e); err != nil {
				return err
			}
			return runCleanup(ctx, e, o)
		}
	},
}

type cleanupOptions struct {
	args      []string
	gens      int64List
	upTo      int64
	policy    lifecycle.Policy
	dryRun    bool
	enumerate optionalString
	enumOnly  bool
	wait      time.Duration
	jobs      int
}

// int64List is a repeatable integer flag.
type int64List []int64

func (l *int64List) String() string { return fmt.Sprint([]int64(*l)) }

// Repeatable marks it "..." in usage lines.
func (l *int64List) Repeatable() bool { return true }

func (l *int64List) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a generation number", s)
	}
	*l = append(*l, n)
	return nil
}

func (o *cleanupOptions) validate(e *env) error {
	explicit := len(o.args) > 0 || len(o.gens) > 0 || o.upTo != 0
	switch {
	case o.upTo < 0:
		return &usageError{"--up-to takes a generation number"}
	case explicit && !o.policy.Empty():
		return &usageError{"a --keep-* policy decides alone: give it without BACKUP, -g or --up-to"}
	case !explicit && o.policy.Empty():
		return &usageError{"nothing to remove: give BACKUP arguments, -g, --up-to or a --keep-* policy"}
	case o.enumOnly && !o.enumerate.Given:
		return &usageError{"-n only makes sense with -e"}
	case e.JSON && o.enumerate.Given && o.enumTarget() == "-":
		return &usageError{"with --json, -e needs a file: -e=FILE"}
	}
	return nil
}

// enumTarget is where -e writes: a file, or "-" for stdout.
func (o *cleanupOptions) enumTarget() string {
	if o.enumerate.Value == "" {
		return "-"
	}
	return o.enumerate.Value
}

// changes reports whether this run changes anything.
func (o *cleanupOptions) changes() bool { return !o.dryRun && !o.enumOnly }

func runCleanup(ctx context.Context, e *env, o cleanupOptions) error {
	if err := e.Config.Require("cleanup", "source.entry_cache.path"); err != nil {
		return err
	}
	if o.changes() {
		unlock, err := entrycache.Lock(ctx, e.Config.Source.EntryCache.Path, o.wait)
		if err != nil {
			return lockError(err)
		}
		defer unlock()
	}
	db, err := openCache(ctx, e, "cleanup")
	if err != nil {
		return err
	}
	defer db.Close()
	plan, err := cleanupPlan(ctx, e, db, o)
	if err != nil {
		return err
	}
	var client *lafsapi.Client
	if o.enumerate.Given || (o.changes() && len(plan.Remove) > 0 && e.Config.Destination.Result.AppendToLAFSDir.Value() != "") {
		if client, err = newClient(e, o.jobs); err != nil {
			return err
		}
	}
	if o.enumerate.Given {
		if err := enumerateShares(ctx, e, client, plan, o); err != nil {
			return err
		}
	}
	if !o.changes() {
		if !o.enumOnly {
			printPlan(e, plan, o)
		}
		return nil
	}
	return applyCleanup(ctx, e, db, client, plan)
}

// cleanupPlan resolves the arguments and decides what goes.
func cleanupPlan(ctx context.Context, e *env, db *entrycache.DB, o cleanupOptions) (lifecycle.CleanupPlan, error) {
	sel := lifecycle.Selection{Generations: o.gens, UpTo: o.upTo, Policy: o.policy, Location: time.Local}
	for _, a := range o.args {
		bs, err := recordedBackups(ctx, e, db, a)
		if err != nil {
			return lifecycle.CleanupPlan{}, err
		}
		for _, b := range bs {
			sel.IDs = append(sel.IDs, b.ID)
		}
	}
	all, err := db.Backups(ctx, entrycache.BackupFilter{})
	if err != nil {
		return lifecycle.CleanupPlan{}, err
	}
	gens, err := db.Generations(ctx)
	if err != nil {
		return lifecycle.CleanupPlan{}, err
	}
	plan, err := lifecycle.Plan(all, gens, sel)
	if err != nil {
		return plan, &usageError{err.Error()}
	}
	return plan, nil
}

// enumerateShares writes the storage indexes only removed backups reach.
func enumerateShares(ctx context.Context, e *env, client *lafsapi.Client, plan lifecycle.CleanupPlan, o cleanupOptions) error {
	jobs := o.jobs
	if jobs <= 0 {
		jobs = e.Config.Operation.Jobs
	}
	keptCaps, err := capsOf(plan.Keep)
	if err != nil {
		return err
	}
	removed, err := capsOf(plan.Remove)
	if err != nil {
		return err
	}
	kept, err := lifecycle.Reachable(ctx, client, keptCaps, jobs)
	if err != nil {
		return fmt.Errorf("-e: reading the kept backups (nothing was removed): %w", err)
	}
	var w io.Writer = e.Stdout
	if t := o.enumTarget(); t != "-" {
		f, err := os.OpenFile(t, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("-e: %w", err)
		}
		defer f.Close()
		w = f
	}
	n, err := lifecycle.EnumerateShares(ctx, client, removed, kept, func(si string) error {
		_, err := fmt.Fprintln(w, si)
		return err
	})
	if err != nil {
		return fmt.Errorf("-e (nothing was removed): %w", err)
	}
	e.Log.Info("cleanup: storage indexes only removed backups reach", "count", n, "kept_objects", kept.Len())
	return nil
}

func capsOf(bs []entrycache.Backup) ([]lafsapi.Cap, error) {
	out := make([]lafsapi.Cap, 0, len(bs))
	for _, b := range bs {
		c, err := lafsapi.ParseCap(b.Cap)
		if err != nil {
			return nil, fmt.Errorf("backup of generation %d: the recorded cap: %w", b.Generation, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// applyCleanup carries the plan out and reports it.
func applyCleanup(ctx context.Context, e *env, db *entrycache.DB, client *lafsapi.Client, plan lifecycle.CleanupPlan) error {
	res := e.Config.Destination.Result
	opts := lifecycle.CleanupOptions{ResultFile: res.AppendToFile, LinkName: res.LinkNameFor, Log: e.Log}
	var grid lifecycle.Grid
	if spec := res.AppendToLAFSDir.Value(); spec != "" && len(plan.Remove) > 0 {
		dir, err := resolveDirSpec(ctx, client, spec)
		if err != nil {
			return fmt.Errorf("append_to_lafs_dir (nothing was removed): %w", err)
		}
		opts.LinkDir, grid = dir, client
	}
	out, err := lifecycle.Cleanup(ctx, db, grid, plan, opts)
	for _, b := range out.Removed {
		e.Log.Info("cleanup: removed", "generation", b.Generation, "name", b.Name, "finished", localTime(b.Finished))
	}
	printCleanupSummary(e, plan, out)
	if err != nil {
		return err
	}
	if n := len(out.Failed); n > 0 {
		return fmt.Errorf("%s kept because the link in append_to_lafs_dir could not be checked or removed; run cleanup again", plural(n, "backup"))
	}
	return nil
}

func printCleanupSummary(e *env, plan lifecycle.CleanupPlan, out lifecycle.CleanupResult) {
	if e.JSON {
		json.NewEncoder(e.Stdout).Encode(map[string]any{"summary": map[string]any{
			"removed": planRows(out.Removed, nil), "failed": planRows(out.Failed, nil),
			"kept": len(plan.Keep), "generations": plan.Generations, "cache_rows": out.CacheRows,
			"links_removed": out.LinksRemoved, "links_left": out.LinksLeft, "lines_removed": out.LinesRemoved}})
		return
	}
	fmt.Fprintf(e.Stderr, "cleanup: removed %s (%s %s), %s, %s (%d left alone), %s; %s kept\n",
		plural(len(out.Removed), "backup"), nounFor(int64(len(plan.Generations)), "generation"), genList(plan.Generations),
		plural(out.CacheRows, "cache row"), plural(out.LinksRemoved, "link"), out.LinksLeft, plural(out.LinesRemoved, "result line"),
		plural(len(plan.Keep), "backup"))
}

func genList(gens []int64) string {
	if len(gens) == 0 {
		return "none"
	}
	s := make([]string, len(gens))
	for i, g := range gens {
		s[i] = strconv.FormatInt(g, 10)
	}
	return strings.Join(s, ", ")
}

// printPlan shows a dry run: each backup with its fate, then the cache
// generations that would go. It goes to stdout (it is the result) unless
// -e writes there.
func printPlan(e *env, plan lifecycle.CleanupPlan, o cleanupOptions) {
	reasons := map[int64][]string{}
	for _, d := range plan.Decisions {
		reasons[d.Backup.ID] = d.Reasons
	}
	if e.JSON {
		json.NewEncoder(e.Stdout).Encode(map[string]any{"dry_run": true,
			"remove": planRows(plan.Remove, nil), "keep": planRows(plan.Keep, reasons), "generations": plan.Generations})
		return
	}
	w := e.Stdout
	if o.enumerate.Given && o.enumTarget() == "-" {
		w = e.Stderr
	}
	for _, b := range plan.Keep {
		line := "keep    " + planLine(b)
		if r := reasons[b.ID]; len(r) > 0 {
			line += " (" + strings.Join(r, ", ") + ")"
		}
		fmt.Fprintln(w, line)
	}
	for _, b := range plan.Remove {
		fmt.Fprintln(w, "remove  "+planLine(b))
	}
	fmt.Fprintf(w, "would remove %s and the cache rows of %s %s; keep %s\n",
		plural(len(plan.Remove), "backup"), nounFor(int64(len(plan.Generations)), "generation"), genList(plan.Generations),
		plural(len(plan.Keep), "backup"))
}

func planLine(b entrycache.Backup) string {
	return fmt.Sprintf("gen:%d  %s  %-7s  %s", b.Generation, localTime(b.Finished), b.Status, displayName(b.Name))
}

func planRows(bs []entrycache.Backup, reasons map[int64][]string) []map[string]any {
	out := make([]map[string]any, 0, len(bs))
	for _, b := range bs {
		row := map[string]any{"generation": b.Generation, "name": b.Name, "source": sourceDir(b), "source_pattern": b.Source,
			"finished": jsonTime(b.Finished), "status": b.Status}
		if r := reasons[b.ID]; len(r) > 0 {
			row["reasons"] = r
		}
		out = append(out, row)
	}
	return out
}
