package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/lafs-backup/lafs-backup/browse"
	"github.com/lafs-backup/lafs-backup/entrycache"
)

var findPathsCommand = &command{
	Name:    "find",
	Summary: "find paths in the kept backups: which generations hold them",
	Args:    "PATTERN [BACKUP...]",
	Help: `Searches every completed backup the entry cache keeps (or only the BACKUPs
given, as for cleanup: gen:N, a name, a cap, - or @FILE) for entries whose
path matches PATTERN, and prints one line per version of each matching
path: the generations holding that version, then mode, owner, group,
size and mtime as ls prints them, and the path. Paths are sorted; a path
that changed between backups has one line per version.

PATTERN is a shell glob on the raw names (as restored): without "/" it
is matched against each entry's name ('*.conf', 'passwd'); with "/"
against the whole path from the backup's root ('etc/*.conf',
'home/*/.ssh/**', where "*" stays within one component and "**" matches
any number of them); a trailing "/" matches only directories. With
--regexp, PATTERN is a Go RE2 regexp searched in the path as a filter rule
sees it: "/" + path, "/" after a directory ('^/etc/.*\.conf$').

Each distinct directory is read once, however many backups share it.
Needs source.entry_cache.path. With --json, one object per version (the
fields of ls --json plus "generations").`,
	Setup: func(fs *flag.FlagSet) runFunc {
		re := fs.Bool("regexp", false, "PATTERN is a Go RE2 regexp on /PATH (a trailing / for directories), as in filter rules")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) < 1 {
				return &usageError{"find takes a PATTERN and optional BACKUPs"}
			}
			compile := browse.Glob
			if *re {
				compile = browse.Regexp
			}
			m, err := compile(args[0])
			if err != nil {
				return &usageError{fmt.Sprintf("PATTERN: %v", err)}
			}
			return runFind(ctx, e, m, args[1:])
		}
	},
}

// findVersion is one version of a matching path and the generations that
// hold it.
type findVersion struct {
	entry browse.Entry
	key   string // edge metadata, and the cap of a non-directory: equal keys, equal versions
	gens  []int64
}

func runFind(ctx context.Context, e *env, m browse.Matcher, args []string) error {
	backups, err := findBackups(ctx, e, args)
	if err != nil {
		return err
	}
	client, err := newClient(e, 0)
	if err != nil {
		return err
	}
	s := browse.NewSearcher(client, m)
	byPath := map[string][]*findVersion{}
	for _, b := range backups {
		t, err := openBackup(ctx, e, client, "gen:"+strconv.FormatInt(b.Generation, 10))
		if err != nil {
			return fmt.Errorf("generation %d: %w", b.Generation, err)
		}
		err = s.Search(ctx, t.Root, func(en browse.Entry) error {
			addVersion(byPath, en, b.Generation)
			return nil
		})
		if err != nil {
			return fmt.Errorf("generation %d: %w", b.Generation, browseReadError(err))
		}
	}
	printFound(e, byPath)
	e.Log.Info("find: searched", "backups", len(backups), "directories_read", s.Listed)
	return nil
}

// findBackups is what find searches: the BACKUP arguments, else every
// completed backup, by generation.
func findBackups(ctx context.Context, e *env, args []string) ([]entrycache.Backup, error) {
	db, err := openCache(ctx, e, "find")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var out []entrycache.Backup
	if len(args) == 0 {
		if out, err = db.Backups(ctx, entrycache.BackupFilter{Statuses: []entrycache.Status{entrycache.StatusOK, entrycache.StatusPartial}}); err != nil {
			return nil, err
		}
	}
	for _, a := range args {
		bs, err := recordedBackups(ctx, e, db, a)
		if err != nil {
			return nil, err
		}
		out = append(out, bs...)
	}
	slices.SortFunc(out, func(a, b entrycache.Backup) int { return cmp.Compare(a.Generation, b.Generation) })
	return slices.CompactFunc(out, func(a, b entrycache.Backup) bool { return a.ID == b.ID }), nil
}

func addVersion(byPath map[string][]*findVersion, en browse.Entry, gen int64) {
	md, _ := json.Marshal(en.Node.Metadata)
	key := string(md)
	if !en.IsDir() {
		key += "\x00" + en.Node.Cap.Secret() // a directory's version is its own metadata, not what is below
	}
	for _, v := range byPath[en.Path] {
		if v.key == key {
			if !slices.Contains(v.gens, gen) {
				v.gens = append(v.gens, gen)
			}
			return
		}
	}
	byPath[en.Path] = append(byPath[en.Path], &findVersion{entry: en, key: key, gens: []int64{gen}})
}

func printFound(e *env, byPath map[string][]*findVersion) {
	paths := slices.Sorted(maps.Keys(byPath))
	enc := json.NewEncoder(e.Stdout)
	enc.SetEscapeHTML(false)
	var rows [][]string
	for _, p := range paths {
		for _, v := range byPath[p] {
			if e.JSON {
				obj := entryJSON(v.entry, "")
				obj["generations"] = v.gens
				enc.Encode(obj)
				continue
			}
			rows = append(rows, append([]string{genRanges(v.gens)}, append(entryColumns(v.entry), v.entry.Display())...))
		}
	}
	if !e.JSON {
		writeColumns(e.Stdout, rows, 4)
	}
}

// genRanges renders sorted generations compactly: "3-5,8" (a range only
// when every number in it is there).
func genRanges(gens []int64) string {
	var parts []string
	for i := 0; i < len(gens); {
		j := i
		for j+1 < len(gens) && gens[j+1] == gens[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", gens[i], gens[j]))
		} else {
			parts = append(parts, strconv.FormatInt(gens[i], 10))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
