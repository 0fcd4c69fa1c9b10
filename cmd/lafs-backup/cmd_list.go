package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
)

var listCommand = &command{
	Name:    "list",
	Summary: "list the recorded backups with their caps, or the dangling generations",
	Args:    "[GEN...]",
	Help: `Prints one row per backup recorded in the entry cache, oldest first:
generation, finish time (local), status (ok, or partial when entries were
skipped), ENTRIES (what the walk recorded, the source directory itself
included, as in backup's queue line and summary), BYTES (the total size of
the regular files as the walk found them, not what was read or sent), name,
and the root cap last (so awk '{print $NF}' picks it). Only the backups
table is read. The caps are what the command is for, so they go to stdout:
keep its output private. With --json, "source" is the directory backed up
(as in backup's --json summary) and "source_pattern" the configured
source.path.

With -g, lists the dangling generations instead: generations whose cache
rows no backup carries, from runs that failed, were interrupted, were
killed (a run without an end while no process holds the cache lock), or
are running (a run without an end while a backup holds the lock; list
looks at the lock without taking it), with their number of cache rows. GEN arguments narrow the list to those generations. 'cleanup -g GEN'
removes them.`,
	Setup: func(fs *flag.FlagSet) runFunc {
		gens := fs.Bool("generations", false, "list dangling generations (all, or the GEN arguments)")
		alias(fs, "g", "generations")
		return func(ctx context.Context, e *env, args []string) error {
			if !*gens {
				if len(args) > 0 {
					return &usageError{fmt.Sprintf("list takes no arguments without -g, got %q", args[0])}
				}
				return runList(ctx, e)
			}
			var want []int64
			for _, a := range args {
				g, err := strconv.ParseInt(a, 10, 64)
				if err != nil || g <= 0 {
					return &usageError{fmt.Sprintf("-g: %q is not a generation number", a)}
				}
				want = append(want, g)
			}
			return runListGenerations(ctx, e, want)
		}
	},
}

// openCache opens the configured entry cache for a lifecycle command,
// without creating it.
func openCache(ctx context.Context, e *env, command string) (*entrycache.DB, error) {
	if err := e.Config.Require(command, "source.entry_cache.path"); err != nil {
		return nil, err
	}
	db, err := entrycache.Open(ctx, e.Config.Source.EntryCache.Path, entrycache.Options{NoCreate: true})
	if err != nil {
		return nil, fmt.Errorf("entry cache: %w", err)
	}
	return db, nil
}

func runList(ctx context.Context, e *env) error {
	db, err := openCache(ctx, e, "list")
	if errors.Is(err, fs.ErrNotExist) {
		e.Log.Warn("no backups recorded: the entry cache does not exist yet", "path", e.Config.Source.EntryCache.Path)
		return nil
	}
	if err != nil {
		return err
	}
	defer db.Close()
	bs, err := db.Backups(ctx, entrycache.BackupFilter{Order: entrycache.OrderFinished})
	if err != nil {
		return err
	}
	if e.JSON {
		enc := json.NewEncoder(e.Stdout)
		for _, b := range bs {
			if err := enc.Encode(backupJSON(b)); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GEN\tFINISHED\tSTATUS\tENTRIES\tBYTES\tNAME\tCAP")
	for _, b := range bs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", b.Generation, localTime(b.Finished), b.Status,
			b.Entries, humanBytes(b.Bytes), displayName(b.Name), b.Cap)
	}
	return tw.Flush()
}

// localTime renders t for tables: local time to the second.
func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// jsonTime renders t as RFC 3339 local time, or nil when unset.
func jsonTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Local().Format(time.RFC3339Nano)
}

func backupJSON(b entrycache.Backup) map[string]any {
	return map[string]any{
		"id": b.ID, "name": b.Name, "source": sourceDir(b), "source_pattern": b.Source, "generation": b.Generation, "cap": b.Cap,
		"started": jsonTime(b.Started), "finished": jsonTime(b.Finished),
		"entries": b.Entries, "files": b.Files, "bytes": b.Bytes, "status": b.Status,
		"checked_at": jsonTime(b.CheckedAt), "healthy_at": jsonTime(b.HealthyAt),
		"leases_renewed_at": jsonTime(b.LeasesRenewedAt), "imported": b.Imported,
	}
}

// sourceDir is the directory a backup was made of, as backup's summary
// shows it: recorded since schema 3; for older rows the match of the
// pattern named as the backup is, when only the pattern's last element
// has wildcards (so that match is the only candidate); else nil.
func sourceDir(b entrycache.Backup) any {
	if b.Path != "" {
		return b.Path
	}
	dir := filepath.Dir(b.Source)
	if b.Source == "" || hasGlobMeta(dir) || b.Name == "root" {
		return nil
	}
	cand := filepath.Join(dir, b.Name)
	if ok, _ := filepath.Match(b.Source, cand); !ok {
		return nil
	}
	return cand
}

func hasGlobMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// danglingGen is one generation no backup carries.
type danglingGen struct {
	Generation int64
	Objects    int64
	Run        *entrycache.RunInfo // nil when the run is forgotten
}

func runListGenerations(ctx context.Context, e *env, want []int64) error {
	db, err := openCache(ctx, e, "list")
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := danglingGenerations(ctx, db)
	if err != nil {
		return err
	}
	live, err := entrycache.LockHeld(e.Config.Source.EntryCache.Path)
	if err != nil {
		return err
	}
	if len(want) > 0 {
		list = slices.DeleteFunc(list, func(d danglingGen) bool { return !slices.Contains(want, d.Generation) })
	}
	if e.JSON {
		enc := json.NewEncoder(e.Stdout)
		for _, d := range list {
			obj := map[string]any{"generation": d.Generation, "objects": d.Objects}
			if d.Run != nil {
				obj["run_id"], obj["source_pattern"], obj["status"] = d.Run.ID, d.Run.Source, runState(d.Run.Status, live)
				obj["started"], obj["finished"] = jsonTime(d.Run.Started), jsonTime(d.Run.Finished)
			}
			if err := enc.Encode(obj); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GEN\tSTARTED\tSTATUS\tOBJECTS\tSOURCE")
	for _, d := range list {
		started, status, source := "-", "(run forgotten)", "-"
		if d.Run != nil {
			started, status, source = localTime(d.Run.Started), runState(d.Run.Status, live), displayName(d.Run.Source)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", d.Generation, started, status, d.Objects, source)
	}
	return tw.Flush()
}

// runState is how list -g shows a run's status: a run without an end is
// "running" while a process holds the cache lock (a backup runs: this one
// or, rarely, an older one killed), and "killed" when none does.
func runState(s entrycache.Status, live bool) string {
	if s == entrycache.StatusRunning && !live {
		return "killed"
	}
	return string(s)
}

// danglingGenerations joins the runs that made no backup with the cache
// rows of generations no backup carries.
func danglingGenerations(ctx context.Context, db *entrycache.DB) ([]danglingGen, error) {
	runs, err := db.DanglingRuns(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := db.Generations(ctx)
	if err != nil {
		return nil, err
	}
	byGen := map[int64]*danglingGen{}
	for _, c := range counts {
		if c.Backups == 0 {
			byGen[c.Generation] = &danglingGen{Generation: c.Generation, Objects: c.Objects}
		}
	}
	for i := range runs {
		r := &runs[i]
		d, ok := byGen[r.Generation]
		if !ok {
			d = &danglingGen{Generation: r.Generation}
			byGen[r.Generation] = d
		}
		d.Run = r // a resumed run keeps its generation: the newest run wins
	}
	out := make([]danglingGen, 0, len(byGen))
	for _, d := range byGen {
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b danglingGen) int { return cmp.Compare(a.Generation, b.Generation) })
	return out, nil
}
