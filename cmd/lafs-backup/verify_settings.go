package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"

	"github.com/lafs-backup/lafs-backup/config"
	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/filter"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/queue"
)

// backupSettings are the settings that decide which local entries a backup
// holds. backup records them as JSON in its backups row (entrycache
// Backup.Filter, via settingsFromConfig(...).JSON()) and walks with
// their selection; verify applies the same selection, so that a backup
// verified against its own source matches.
type backupSettings struct {
	Filter        []string `json:"filter"`
	SpecialFiles  string   `json:"special_files"` // "record" or "skip"
	CachedirTag   bool     `json:"cachedir_tag"`
	OneFileSystem bool     `json:"one_file_system"`
	Xattrs        bool     `json:"xattrs"`
	// SkipPaths are files the walk never records: the entry cache's
	// (entrycache.DatabaseFiles) and the queue.
	SkipPaths []string `json:"skip_paths,omitempty"`
	// LeftOut are the entries this backup could not take (unreadable
	// when walked or read, vanished, refused by the storage servers):
	// escaped paths (internal/pathesc)
	// relative to the source, as many as the walk and the uploader list.
	// verify reports them as "skipped when backed up", not as extra.
	LeftOut []string `json:"left_out,omitempty"`
}

// settingsFromConfig gives the settings of a backup made with c whose
// queue is at queuePath ("" if none).
func settingsFromConfig(c *config.Config, queuePath string) backupSettings {
	s := backupSettings{
		Filter:        config.RuleStrings(c.Filter),
		SpecialFiles:  c.Source.SpecialFiles,
		CachedirTag:   c.Source.CachedirTag,
		OneFileSystem: c.Source.OneFileSystem,
		Xattrs:        c.Source.Xattrs,
	}
	if p := c.Source.EntryCache.Path; p != "" {
		s.SkipPaths = entrycache.DatabaseFiles(p)
	}
	if queuePath != "" {
		s.SkipPaths = append(s.SkipPaths, queuePath)
	}
	return s
}

// selection is what the walk leaves out under these settings.
func (s backupSettings) selection() (queue.Selection, error) {
	f, err := filter.Parse(s.Filter)
	if err != nil {
		return queue.Selection{}, err
	}
	special := queue.RecordSpecial
	if s.SpecialFiles == "skip" {
		special = queue.SkipSpecial
	}
	return queue.Selection{Filter: f, OneFileSystem: s.OneFileSystem, SpecialFiles: special,
		CacheDirTag: s.CachedirTag, SkipPaths: s.SkipPaths}, nil
}

// leftOut is LeftOut as a test of a path relative to the verified
// directory, which is the backup's subpath sub.
func (s backupSettings) leftOut(sub string) func(rel string) bool {
	if len(s.LeftOut) == 0 {
		return nil
	}
	set := make(map[string]bool, len(s.LeftOut))
	for _, p := range s.LeftOut {
		set[p] = true
	}
	return func(rel string) bool { return set[pathesc.Escape(path.Join(sub, rel))] }
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
