package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/restore"
)

var restoreCommand = &command{
	Name:    "restore",
	Summary: "restore a backup, a subtree or one file into a directory",
	Args:    "BACKUP TARGET",
	Help: `BACKUP is a cap (URI:..., or - to read it from stdin, or @FILE), gen:N
for a generation, or a backup name for its newest completed backup (names
and generations need source.entry_cache.path). A cap on the command line
can be read by every local user: prefer - or @FILE.

TARGET is created if missing and must be empty unless --force. The backup's
root directory becomes TARGET (its owner, mode, ACLs and times included);
with --path, a directory's content goes into TARGET likewise, and a file,
symlink or special file is restored into TARGET under its own name.

Files are streamed (xz decoded); directories, symlinks, hardlinks, FIFOs and
(as root) device nodes are recreated; owner (as root), mode with
setuid/setgid/sticky, ACLs, capabilities, xattrs and mtimes are applied,
directories last. Names the backup recorded as raw bytes are restored
exactly. Nothing is ever written outside TARGET: names with "/", "..", NUL
or empty, and a symlink in the way, are refused and reported. Entries that
cannot be restored are listed and the exit code is 3.`,
	Setup: func(fs *flag.FlagSet) runFunc {
		sub := fs.String("path", "", "restore only this `SUBPATH` of the backup (a directory or one entry)")
		force := fs.Bool("force", false, "restore into a non-empty TARGET (existing files are replaced, directories merged)")
		numeric := fs.Bool("numeric-owner", false, "never look up user or group names (ACLs that name users are reported)")
		noOwner := fs.Bool("no-owner", false, "do not set owners (they are set only as root anyway)")
		jobs := fs.Int("jobs", 0, "`N` files downloaded at once (default operation.jobs)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) != 2 {
				return &usageError{"restore takes BACKUP and TARGET"}
			}
			o := restore.Options{Target: args[1], SubPath: *sub, Force: *force,
				NumericOwner: *numeric, NoOwner: *noOwner, Jobs: *jobs, Logger: e.Log}
			return runRestore(ctx, e, args[0], o)
		}
	},
}

func runRestore(ctx context.Context, e *env, arg string, o restore.Options) error {
	if o.Jobs <= 0 {
		o.Jobs = e.Config.Operation.Jobs
	}
	ref, err := resolveBackup(ctx, e, arg)
	if err != nil {
		return err
	}
	client, err := newClient(e, o.Jobs+1)
	if err != nil {
		return err
	}
	prog := &counters{}
	o.Progress = prog
	start := time.Now()
	stop := startStatus(e, func() string { return prog.line("restore", start) })
	st, err := restore.Run(ctx, client, ref.Cap, o)
	stop()
	if errors.Is(err, restore.ErrTargetNotEmpty) {
		return &usageError{err.Error()}
	}
	if err != nil {
		return backupReadError(err)
	}
	printRestoreSummary(e, o.Target, st, time.Since(start))
	if len(st.Failed) > 0 {
		return fmt.Errorf("%s not restored fully: %w", plural(len(st.Failed), "entry"), errPartial)
	}
	return nil
}

// backupReadError marks a backup the grid cannot give back as exit 7.
func backupReadError(err error) error {
	if lafsapi.IsGone(err) || lafsapi.IsNotFound(err) || errors.Is(err, restore.ErrNotABackup) {
		return &exitError{Code: exitUnrecoverable, Err: err}
	}
	return err
}

func printRestoreSummary(e *env, target string, st restore.Stats, took time.Duration) {
	if e.JSON {
		failed := make([]map[string]string, 0, len(st.Failed))
		for _, f := range st.Failed {
			failed = append(failed, map[string]string{"path": pathesc.Escape(f.Path), "error": f.Err.Error()})
		}
		json.NewEncoder(e.Stdout).Encode(map[string]any{
			"format": st.Format.String(), "name": st.Name, "target": target,
			"files": st.Files, "dirs": st.Dirs, "symlinks": st.Symlinks, "hardlinks": st.Hardlinks,
			"special": st.Special, "bytes": st.Bytes, "failed": failed, "seconds": took.Seconds(),
		})
		return
	}
	fmt.Fprintf(e.Stderr, "restored %s into %s: %s (%s), %s, %s, %s, %s in %s",
		st.Format, target, plural(st.Files, "file"), humanBytes(st.Bytes), plural(st.Dirs, "directory"), plural(st.Symlinks, "symlink"),
		plural(st.Hardlinks, "hardlink"), plural(st.Special, "special file"), took.Round(time.Millisecond))
	if n := len(st.Failed); n > 0 {
		fmt.Fprintf(e.Stderr, "; %d failed:", n)
		for _, f := range st.Failed {
			fmt.Fprintf(e.Stderr, "\n  %v", f)
		}
	}
	fmt.Fprintln(e.Stderr)
}
