package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lafs-backup/lafs-backup/browse"
	"github.com/lafs-backup/lafs-backup/fsmeta"
)

var diffCommand = &command{
	Name:    "diff",
	Summary: "show what changed between two backups, without restoring",
	Args:    "OLD NEW",
	Help: `OLD and NEW are backups given as for restore (cap, -, @FILE, gen:N or a
name). Prints one line per path that differs, on stdout:

  +  PATH       added in NEW (a directory, shown PATH/, counts once)
  -  PATH       removed (likewise)
  M  PATH  WHAT changed: type, size, mode, rdev, uid, gid, acl, caps, mtime,
                xattr NAME (each "old -> new"), content, symlink target,
                enc, hardlink

Equal directory caps mean equal subtrees (everything on the grid is
immutable), so only directories whose caps differ are read: the cost is
proportional to the change, not to the tree. A summary goes to stderr.
With --json, one object per change, then a summary object, on stdout.
With --path, compares that path of both backups. Exit 0 whether or not
the backups differ.`,
	Setup: func(fs *flag.FlagSet) runFunc {
		sub := fs.String("path", "", "compare only this `SUBPATH` of both backups")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) != 2 {
				return &usageError{"diff takes two backups, OLD and NEW"}
			}
			return runDiff(ctx, e, args[0], args[1], *sub)
		}
	},
}

func runDiff(ctx context.Context, e *env, oldArg, newArg, sub string) error {
	client, err := newClient(e, 0)
	if err != nil {
		return err
	}
	var tops [2]browse.Entry
	for i, arg := range []string{oldArg, newArg} {
		t, err := openBackup(ctx, e, client, arg)
		if err != nil {
			return err
		}
		if tops[i], err = t.Lookup(ctx, client, sub); err != nil {
			return browseReadError(err)
		}
	}
	start := time.Now()
	st, err := browse.Diff(ctx, client, tops[0], tops[1], func(c browse.Change) error {
		return printChange(e.Stdout, e.JSON, c)
	})
	if err != nil {
		return browseReadError(err)
	}
	printDiffSummary(e, st, time.Since(start))
	return nil
}

// printChange prints one change as a line, or as a JSON object.
func printChange(w io.Writer, asJSON bool, c browse.Change) error {
	e := c.New
	if c.Kind == browse.Removed {
		e = c.Old
	}
	if asJSON {
		obj := map[string]any{"kind": string(c.Kind), "path": diffPath(c.Path), "type": entryType(e)}
		if len(c.Fields) > 0 {
			fields := make([]map[string]string, 0, len(c.Fields))
			for _, f := range c.Fields {
				fields = append(fields, map[string]string{"field": f.Name, "old": f.Old, "new": f.New})
			}
			obj["fields"] = fields
		}
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(obj)
	}
	path := diffPath(c.Path)
	switch c.Kind {
	case browse.Added, browse.Removed:
		if e.IsDir() {
			path += "/"
		}
		mark := "+"
		if c.Kind == browse.Removed {
			mark = "-"
		}
		_, err := fmt.Fprintf(w, "%s  %s\n", mark, path)
		return err
	}
	parts := make([]string, 0, len(c.Fields))
	for _, f := range c.Fields {
		if f.Old == "" && f.New == "" {
			parts = append(parts, f.Name)
		} else {
			parts = append(parts, fmt.Sprintf("%s %s -> %s", f.Name, f.Old, f.New))
		}
	}
	_, err := fmt.Fprintf(w, "M  %s  %s\n", path, strings.Join(parts, ", "))
	return err
}

// diffPath is a change's path for output: escaped, "." for the root.
func diffPath(p string) string {
	return browse.Entry{Path: p}.Display()
}

// entryType is an entry's type name ("dir" when nothing was recorded).
func entryType(e browse.Entry) string {
	if !e.Known || e.Err != nil {
		if e.IsDir() {
			return fsmeta.TypeDir.String()
		}
		return "unknown"
	}
	return e.Edge.Meta.Type.String()
}

func printDiffSummary(e *env, st browse.DiffStats, took time.Duration) {
	if e.JSON {
		json.NewEncoder(e.Stdout).Encode(map[string]any{"summary": map[string]any{
			"added": st.Added, "removed": st.Removed, "changed": st.Changed,
			"directories_read": st.Listed, "subtrees_skipped": st.Skipped, "seconds": took.Seconds()}})
		return
	}
	fmt.Fprintf(e.Stderr, "diff: %d added, %d removed, %d changed; %s read, %s skipped, in %s\n",
		st.Added, st.Removed, st.Changed, plural(st.Listed, "directory listing"), plural(st.Skipped, "unchanged subtree"), took.Round(time.Millisecond))
}
