package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/lafs-backup/lafs-backup/browse"
	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
)

var lsCommand = &command{
	Name:    "ls",
	Summary: "list the entries of a backup (or of one path in it) without restoring",
	Args:    "BACKUP [PATH]",
	Help: `BACKUP is given as for restore (cap, -, @FILE, gen:N or a name). Prints one
line per entry of the backup's root directory, or of PATH inside it (a
directory: its entries; anything else: that entry): mode as ls -l shows it
("+" when an ACL was recorded), numeric owner and group, size (major,minor
for devices), modification time (local), and the path from the backup's
root, escaped as in every message; symlinks show "-> TARGET". With -R,
everything below, each directory's entries together, then its
subdirectories. With --json, one object per entry (path, type, mode, uid,
gid, size, mtime, target, acl, caps, xattrs, rdev, hardlink, enc).

PATH is matched as restore --path matches it: against the names restore
would write first, then against the names on the grid. Only reads; one
request per directory listed.`,
	Setup: func(fs *flag.FlagSet) runFunc {
		recursive := fs.Bool("recursive", false, "list everything below, recursively")
		alias(fs, "R", "recursive")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return &usageError{"ls takes BACKUP and an optional PATH"}
			}
			sub := ""
			if len(args) == 2 {
				sub = args[1]
			}
			return runLs(ctx, e, args[0], sub, *recursive)
		}
	},
}

func runLs(ctx context.Context, e *env, arg, sub string, recursive bool) error {
	client, err := newClient(e, 0)
	if err != nil {
		return err
	}
	t, err := openBackup(ctx, e, client, arg)
	if err != nil {
		return err
	}
	top, err := t.Lookup(ctx, client, sub)
	if err != nil {
		return browseReadError(err)
	}
	p := &lsPrinter{e: e, g: client}
	switch {
	case !top.IsDir():
		err = p.print(ctx, []browse.Entry{top})
	case recursive:
		err = browse.Walk(ctx, client, top, func(_ browse.Entry, kids []browse.Entry) error { return p.print(ctx, kids) })
	default:
		var kids []browse.Entry
		if kids, err = browse.List(ctx, client, top); err == nil {
			err = p.print(ctx, kids)
		}
	}
	if err != nil {
		return browseReadError(err)
	}
	if p.bad > 0 {
		e.Log.Warn(fmt.Sprintf("ls: entries whose metadata this program cannot read (shown with ?): %d", p.bad))
	}
	return nil
}

// lsPrinter prints entries, one directory's worth at a time (aligned
// within it).
type lsPrinter struct {
	e   *env
	g   browse.Grid
	bad int
}

func (p *lsPrinter) print(ctx context.Context, entries []browse.Entry) error {
	if p.e.JSON {
		enc := json.NewEncoder(p.e.Stdout)
		enc.SetEscapeHTML(false)
		for _, en := range entries {
			if err := enc.Encode(entryJSON(en, p.target(ctx, en))); err != nil {
				return err
			}
		}
		return nil
	}
	rows := make([][]string, 0, len(entries))
	for _, en := range entries {
		name := en.Display()
		if t := p.target(ctx, en); t != "" {
			name += " -> " + pathesc.Escape(t)
		}
		if en.Err != nil {
			p.bad++
			name += " (" + en.Err.Error() + ")"
		}
		rows = append(rows, append(entryColumns(en), name))
	}
	writeColumns(p.e.Stdout, rows, 3)
	return nil
}

// target is a symlink's target, "" for anything else; a target that
// cannot be read is shown as "?" with a warning.
func (p *lsPrinter) target(ctx context.Context, en browse.Entry) string {
	if en.Err != nil || en.Edge.Meta.Type != fsmeta.TypeSymlink {
		return ""
	}
	t, err := browse.Target(ctx, p.g, en)
	if err != nil {
		p.e.Log.Warn("ls: " + err.Error())
		return "?"
	}
	return t
}
