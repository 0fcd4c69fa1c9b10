package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// backupRef is a resolved BACKUP argument.
type backupRef struct {
	Cap    lafsapi.Cap
	Backup *entrycache.Backup // its backups row, when the entry cache knows it
}

// resolveBackup turns a BACKUP argument (docs/restore.md) into a root cap:
// "URI:..." is a cap (with a warning: argv is readable by local users),
// "-" reads the cap from stdin, "@FILE" from a file, "gen:N" is a
// generation and anything else a backup name, meaning its newest
// completed backup. Names and generations are looked up in the entry
// cache's backups table, read-only and without the backup lock; so is a
// cap, to find its recorded settings when the cache is configured.
func resolveBackup(ctx context.Context, e *env, arg string) (backupRef, error) {
	switch {
	case arg == "-":
		return capFrom(ctx, e, e.Stdin, "standard input")
	case strings.HasPrefix(arg, "@"):
		f, err := os.Open(arg[1:])
		if err != nil {
			return backupRef{}, fmt.Errorf("BACKUP %s: %w", arg, err)
		}
		defer f.Close()
		return capFrom(ctx, e, f, arg[1:])
	case strings.HasPrefix(arg, "URI:"):
		warnArgvCap(e)
		c, err := lafsapi.ParseCap(arg)
		if err != nil {
			return backupRef{}, &usageError{fmt.Sprintf("BACKUP: %v", err)}
		}
		return withRow(ctx, e, c), nil
	}
	db, err := openCacheReadOnly(ctx, e)
	if err != nil {
		return backupRef{}, err
	}
	defer db.Close()
	b, err := lookupBackup(ctx, db, arg)
	if err != nil {
		return backupRef{}, err
	}
	c, err := lafsapi.ParseCap(b.Cap)
	if err != nil {
		return backupRef{}, fmt.Errorf("backup %s (generation %d): the recorded cap: %w", b.Name, b.Generation, err)
	}
	return backupRef{Cap: c, Backup: &b}, nil
}

// lookupBackup finds "gen:N" or a name in the backups table.
func lookupBackup(ctx context.Context, db *entrycache.DB, arg string) (entrycache.Backup, error) {
	var b entrycache.Backup
	var err error
	if gen, ok := strings.CutPrefix(arg, "gen:"); ok {
		n, perr := strconv.ParseInt(gen, 10, 64)
		if perr != nil {
			return b, &usageError{fmt.Sprintf("BACKUP %q: gen:N wants a generation number", arg)}
		}
		b, err = db.BackupByGeneration(ctx, n)
	} else {
		b, err = db.LatestBackup(ctx, entrycache.BackupFilter{Name: arg,
			Statuses: []entrycache.Status{entrycache.StatusOK, entrycache.StatusPartial}})
	}
	if errors.Is(err, entrycache.ErrNotFound) {
		return b, &usageError{fmt.Sprintf("BACKUP %q: no such backup in the entry cache (see 'lafs-backup list')", arg)}
	}
	return b, err
}

// capFrom reads a cap from the first non-empty line of r.
func capFrom(ctx context.Context, e *env, r io.Reader, what string) (backupRef, error) {
	sc := bufio.NewScanner(io.LimitReader(r, 64<<10))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		c, err := lafsapi.ParseCap(line)
		if err != nil {
			return backupRef{}, &usageError{fmt.Sprintf("BACKUP from %s: %v", what, err)}
		}
		return withRow(ctx, e, c), nil
	}
	if err := sc.Err(); err != nil {
		return backupRef{}, fmt.Errorf("BACKUP from %s: %w", what, err)
	}
	return backupRef{}, &usageError{fmt.Sprintf("BACKUP from %s: no cap", what)}
}

// withRow adds the newest backups row holding c, if a cache is configured
// and has one; any problem just leaves it out.
func withRow(ctx context.Context, e *env, c lafsapi.Cap) backupRef {
	ref := backupRef{Cap: c}
	if e.Config.Source.EntryCache.Path == "" {
		return ref
	}
	db, err := openCacheReadOnly(ctx, e)
	if err != nil {
		return ref
	}
	defer db.Close()
	if b, err := db.LatestBackup(ctx, entrycache.BackupFilter{Cap: c.Secret()}); err == nil {
		ref.Backup = &b
	}
	return ref
}

// openCacheReadOnly opens the configured entry cache without creating it
// and without the backup lock (restore and verify never block a backup).
func openCacheReadOnly(ctx context.Context, e *env) (*entrycache.DB, error) {
	path := e.Config.Source.EntryCache.Path
	if path == "" {
		return nil, &usageError{"a backup name or gen:N needs source.entry_cache.path in the configuration; or give the cap (-, @FILE or URI:...)"}
	}
	db, err := entrycache.Open(ctx, path, entrycache.Options{NoCreate: true})
	if err != nil {
		return nil, fmt.Errorf("entry cache: %w", err)
	}
	return db, nil
}

func warnArgvCap(e *env) {
	e.Log.Warn("a cap given on the command line can be read by every local user (ps, /proc); pass it on stdin (-) or in a file (@FILE)")
}

// recordedBackups resolves a BACKUP argument to the backups rows it names,
// for commands that act on recorded backups (cleanup). A cap names every
// backup recorded with it (an unchanged rerun repeats the cap of the run
// before); "-" and "@FILE" give any number of caps, one per line; gen:N
// and names are looked up as resolveBackup does. A cap no backup holds is
// warned about (without the cap) and names nothing.
func recordedBackups(ctx context.Context, e *env, db *entrycache.DB, arg string) ([]entrycache.Backup, error) {
	var caps []lafsapi.Cap
	switch {
	case arg == "-":
		cs, err := readCaps(e.Stdin, "standard input")
		if err != nil {
			return nil, err
		}
		caps = cs
	case strings.HasPrefix(arg, "@"):
		f, err := os.Open(arg[1:])
		if err != nil {
			return nil, fmt.Errorf("BACKUP %s: %w", arg, err)
		}
		defer f.Close()
		if caps, err = readCaps(f, arg[1:]); err != nil {
			return nil, err
		}
	case strings.HasPrefix(arg, "URI:"):
		warnArgvCap(e)
		c, err := lafsapi.ParseCap(arg)
		if err != nil {
			return nil, &usageError{fmt.Sprintf("BACKUP: %v", err)}
		}
		caps = []lafsapi.Cap{c}
	default:
		b, err := lookupBackup(ctx, db, arg)
		if err != nil {
			return nil, err
		}
		return []entrycache.Backup{b}, nil
	}
	var out []entrycache.Backup
	for _, c := range caps {
		bs, err := db.Backups(ctx, entrycache.BackupFilter{Cap: c.Secret()})
		if err != nil {
			return nil, err
		}
		if len(bs) == 0 {
			e.Log.Warn("no recorded backup has this cap; nothing to do for it", "cap", c)
		}
		out = append(out, bs...)
	}
	return out, nil
}

// readCaps reads one cap per non-empty line of r.
func readCaps(r io.Reader, what string) ([]lafsapi.Cap, error) {
	sc := bufio.NewScanner(r)
	var caps []lafsapi.Cap
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		c, err := lafsapi.ParseCap(line)
		if err != nil {
			return nil, &usageError{fmt.Sprintf("BACKUP from %s, line %d: %v", what, n, err)}
		}
		caps = append(caps, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("BACKUP from %s: %w", what, err)
	}
	if len(caps) == 0 {
		return nil, &usageError{fmt.Sprintf("BACKUP from %s: no cap", what)}
	}
	return caps, nil
}
