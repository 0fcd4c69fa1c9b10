package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/config"
	"github.com/lafs-backup/lafs-backup/filter"
	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// backupSettings are the settings that decide which local entries a backup
// holds. backup records them as JSON in its backups row (entrycache
// Backup.Filter, via settingsFromConfig(...).JSON()); verify applies them so
// that a backup verified against its own source matches.
type backupSettings struct {
	Filter        []string `json:"filter"`
	SpecialFiles  string   `json:"special_files"` // "record" or "skip"
	CachedirTag   bool     `json:"cachedir_tag"`
	OneFileSystem bool     `json:"one_file_system"`
	Xattrs        bool     `json:"xattrs"`
	// SkipPaths are files the walk never records (the entry cache's).
	SkipPaths []string `json:"skip_paths,omitempty"`
}

func settingsFromConfig(c *config.Config) backupSettings {
	return backupSettings{
		Filter:        config.RuleStrings(c.Filter),
		SpecialFiles:  c.Source.SpecialFiles,
		CachedirTag:   c.Source.CachedirTag,
		OneFileSystem: c.Source.OneFileSystem,
		Xattrs:        c.Source.Xattrs,
		SkipPaths:     cacheFiles(c.Source.EntryCache.Path),
	}
}

// cacheFiles lists the entry cache's own files (never backed up).
func cacheFiles(path string) []string {
	if path == "" {
		return nil
	}
	return []string{path, path + "-wal", path + "-shm", path + "-journal", path + ".lock"}
}

// JSON is the form stored in the backups row.
func (s backupSettings) JSON() string {
	b, _ := json.Marshal(s)
	return string(b)
}

func parseSettings(text string) (backupSettings, error) {
	var s backupSettings
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("recorded backup settings: %w", err)
	}
	return s, nil
}

// skipper returns the verify Skip function for the local tree dir, which
// holds the backup's subtree prefix ("" = the whole backup): true for
// entries the backup leaves out on purpose.
func (s backupSettings) skipper(dir, prefix string) (func(rel string, t fsmeta.Type) bool, error) {
	f, err := filter.Parse(s.Filter)
	if err != nil {
		return nil, err
	}
	skip := map[string]bool{}
	for _, p := range s.SkipPaths {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			skip[real] = true
		}
	}
	var rootDev uint64
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err == nil {
		rootDev = uint64(st.Dev) //nolint:unconvert // differs per arch
	}
	return func(rel string, t fsmeta.Type) bool {
		abs := filepath.Join(dir, rel)
		parent := filepath.Dir(abs)
		switch {
		case !included(f, path.Join(prefix, rel), t == fsmeta.TypeDir):
			return true
		case s.SpecialFiles == "skip" && t != fsmeta.TypeFile && t != fsmeta.TypeDir && t != fsmeta.TypeSymlink:
			return true
		case s.CachedirTag && filepath.Base(rel) != "CACHEDIR.TAG" && isCacheDir(parent):
			return true
		case s.OneFileSystem && devOf(parent) != rootDev:
			return true
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil && skip[real] {
			return true
		}
		return false
	}, nil
}

func included(f *filter.Filter, rel string, isDir bool) bool {
	inc, _ := f.Match(rel, isDir)
	return inc
}

const cacheDirTagSig = "Signature: 8a477f597d28d172789f06886806bc55"

func isCacheDir(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "CACHEDIR.TAG"))
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(cacheDirTagSig))
	n, _ := f.Read(head)
	return string(head[:n]) == cacheDirTagSig
}

func devOf(path string) uint64 {
	var st unix.Stat_t
	if unix.Lstat(path, &st) != nil {
		return 0
	}
	return uint64(st.Dev) //nolint:unconvert // differs per arch
}
