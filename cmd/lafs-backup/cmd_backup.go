package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
)

var backupCommand = &command{
	Name:    "backup",
	Summary: "walk the source, upload what changed, print the root cap",
	Help: `Phase one walks the newest match of source.path with the filter rules into
the queue file; phase two uploads what the entry cache does not already know
and prints the root cap (the only thing written to stdout). An interrupted
run (Ctrl-C, kill, lost network) is resumed by running the same command again.`,
	Setup: func(fs *flag.FlagSet) runFunc {
		var o backupOptions
		fs.Var(&o.queueOnly, "queue-only", "only write the queue (to `PATH` if given) and exit")
		fs.Var(&o.reuseQueue, "reuse-queue", "upload from an existing complete queue (at `PATH` if given) without walking")
		fs.BoolVar(&o.force, "force-queue-rebuild", false, "rebuild the queue even when a fresh one could be reused")
		alias(fs, "f", "force-queue-rebuild")
		fs.BoolVar(&o.disableDedup, "disable-deduplication", false, "upload everything even when the entry cache knows it (operation.disable_deduplication)")
		fs.BoolVar(&o.tryResume, "try-resume", false, "continue the generation of an unfinished run of this source (operation.try_resume)")
		alias(fs, "r", "try-resume")
		fs.DurationVar(&o.wait, "wait", 0, "wait up to `DURATION` for another run's lock instead of exiting with code 4")
		fs.BoolVar(&o.acceptGrid, "accept-grid", false, "accept a gateway whose storage servers the entry cache has never seen")
		fs.IntVar(&o.jobs, "jobs", 0, "`N` uploads in flight (default operation.jobs)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return &usageError{fmt.Sprintf("backup takes no arguments, got %q", args[0])}
			}
			if o.force && o.reuseQueue.Given {
				return &usageError{"-f/--force-queue-rebuild and --reuse-queue contradict each other"}
			}
			o.metrics = &runMetrics{start: time.Now()}
			err := runBackup(ctx, e, o)
			if !o.queueOnly.Given && !e.Config.Operation.QueueOnly { // a run that stops after phase one makes no backup to report
				writeMetrics(ctx, e, o.metrics, err)
			}
			return err
		}
	},
}

type backupOptions struct {
	queueOnly, reuseQueue optionalString
	force                 bool
	disableDedup          bool
	tryResume             bool
	wait                  time.Duration
	acceptGrid            bool
	jobs                  int
	metrics               *runMetrics // the run's figures for destination.result.metrics_file
}

// errOtherGrid is a configuration problem: the gateway belongs to a grid the
// cache has never seen.
var errOtherGrid = errors.New("the gateway's storage servers are unknown to the entry cache")

func lockError(err error) error {
	if errors.Is(err, entrycache.ErrLocked) {
		return fmt.Errorf("%w: %v", errLocked, err)
	}
	return err
}
