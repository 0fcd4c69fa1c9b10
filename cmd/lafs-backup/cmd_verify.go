package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/restore"
)

var verifyCommand = &command{
	Name:    "verify",
	Summary: "compare a backup with a local directory",
	Args:    "BACKUP DIR",
	Help: `BACKUP is given as for restore (cap, -, @FILE, gen:N or a name). Walks the
backup and DIR side by side and prints one line per difference on stdout:
entries missing from DIR, extra entries in DIR, and entries whose type,
size, mode, owner, ACL, capabilities, xattrs (when the backup recorded
them), mtime, symlink target or hardlinks differ. With --content, file
content is compared too, streamed and hashed on both sides.

Entries the backup left out on purpose are not reported as extra: the
filter rules and source options recorded with the backup (or, when the
entry cache does not know the backup, those of the configuration) are
applied, and names are compared after the raw-name mapping, so a backup
verified against its own source matches. Exit 0 only when they match; 6
when something differs.`,
	Setup: func(fs *flag.FlagSet) runFunc {
		content := fs.Bool("content", false, "also compare file content (streamed and hashed)")
		sample := fs.Float64("sample", 0, "with --content, hash only about `PERCENT` of the files, picked at random")
		sub := fs.String("path", "", "compare only this `SUBPATH` of the backup with DIR")
		noOwner := fs.Bool("no-owner", false, "do not compare owners (e.g. a restore made without root)")
		jobs := fs.Int("jobs", 0, "`N` files hashed at once (default operation.jobs)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) != 2 {
				return &usageError{"verify takes BACKUP and DIR"}
			}
			if *sample < 0 || *sample > 100 || (*sample > 0 && !*content) {
				return &usageError{"--sample takes a percentage from 0 to 100, with --content"}
			}
			o := restore.VerifyOptions{Dir: args[1], SubPath: *sub, Content: *content,
				SamplePercent: *sample, IgnoreOwner: *noOwner, Jobs: *jobs, Logger: e.Log}
			return runVerify(ctx, e, args[0], o)
		}
	},
}

func runVerify(ctx context.Context, e *env, arg string, o restore.VerifyOptions) error {
	if o.Jobs <= 0 {
		o.Jobs = e.Config.Operation.Jobs
	}
	ref, err := resolveBackup(ctx, e, arg)
	if err != nil {
		return err
	}
	if err := applySettings(e, ref, &o); err != nil {
		return err
	}
	client, err := newClient(e, o.Jobs+1)
	if err != nil {
		return err
	}
	prog := &counters{}
	o.Progress = prog
	start := time.Now()
	stop := startStatus(e, func() string { return prog.line("verify", start) })
	o.Report = func(d restore.Difference) {
		stop() // the status line would mix with results on a terminal
		stop = func() {}
		printDifference(e, d)
	}
	st, err := restore.Verify(ctx, client, ref.Cap, o)
	stop()
	if err != nil {
		return backupReadError(err)
	}
	printVerifySummary(e, st, time.Since(start))
	if !st.Match() {
		return coded(exitDifferences, "the backup and %s differ", o.Dir)
	}
	return nil
}

// applySettings sets Skip and Xattrs from the backup's recorded settings,
// or from the configuration when none are recorded: Skip is the walk's own
// selection (queue.Selection), applied to the local tree.
func applySettings(e *env, ref backupRef, o *restore.VerifyOptions) error {
	s := settingsFromConfig(e.Config, e.Config.Source.Queue.Path)
	if ref.Backup != nil && ref.Backup.Filter != "" {
		rec, err := parseSettings(ref.Backup.Filter)
		if err != nil {
			return err
		}
		s = rec
	} else {
		e.Log.Info("verify: the entry cache holds no settings for this backup; using the configuration's filter and source options")
	}
	sel, err := s.selection()
	if err != nil {
		return fmt.Errorf("filter: %w", err)
	}
	sub := strings.Trim(o.SubPath, "/")
	o.Skip, o.Xattrs, o.LeftOut = sel.Excluder(o.Dir, sub).Excluded, s.Xattrs, s.leftOut(sub)
	return nil
}

func printDifference(e *env, d restore.Difference) {
	if !e.JSON {
		fmt.Fprintln(e.Stdout, d.String())
		return
	}
	obj := map[string]any{"path": pathesc.Display(d.Path), "kind": d.Kind}
	if d.Err != nil {
		obj["error"] = d.Err.Error()
	}
	if len(d.Fields) > 0 {
		obj["fields"] = fieldsJSON(d.Fields)
	}
	json.NewEncoder(e.Stdout).Encode(obj)
}

func fieldsJSON(fs []fsmeta.Difference) []map[string]string {
	out := make([]map[string]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, map[string]string{"field": f.Field, "backup": f.A, "local": f.B})
	}
	return out
}

func printVerifySummary(e *env, st restore.VerifyStats, took time.Duration) {
	if e.JSON {
		json.NewEncoder(e.Stdout).Encode(map[string]any{"summary": map[string]any{
			"format": st.Format.String(), "name": st.Name, "entries": st.Entries, "hashed": st.Hashed,
			"bytes": st.Bytes, "missing": st.Missing, "extra": st.Extra, "different": st.Different,
			"skipped_when_backed_up": st.SkippedAtBackup,
			"errors":                 st.Errors, "match": st.Match(), "seconds": took.Seconds()}})
		return
	}
	verdict := "match"
	if !st.Match() {
		verdict = fmt.Sprintf("DIFFER: %d missing, %d extra, %d different, %s", st.Missing, st.Extra, st.Different, plural(st.Errors, "error"))
	}
	fmt.Fprintf(e.Stderr, "verify %s: %s compared", st.Format, plural(st.Entries, "entry"))
	if st.Hashed > 0 {
		fmt.Fprintf(e.Stderr, ", %s hashed (%s)", plural(st.Hashed, "file"), humanBytes(st.Bytes))
	}
	if st.SkippedAtBackup > 0 {
		fmt.Fprintf(e.Stderr, ", %s skipped when backed up", plural(st.SkippedAtBackup, "entry"))
	}
	fmt.Fprintf(e.Stderr, " in %s: %s\n", took.Round(time.Millisecond), verdict)
}
