package main

import (
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestCountsAgree, on the real grid: the queue line, backup's summary,
// list and restore count the same tree the same way (directories without
// the root wrapper, entries with the source directory), list's BYTES is
// the size of the regular files, and list --json's source is the directory
// backed up, as in backup's summary. A rerun (everything reused) counts
// the same.
func TestCountsAgree(t *testing.T) {
	s := newSite(t, testgrid.Shared(t).URL(), "")
	snap := filepath.Join(s.snaps, "snap.1")
	mixedTree(t, snap)
	var dirs, files, others, size int64
	filepath.WalkDir(snap, func(p string, d fs.DirEntry, err error) error {
		switch info, _ := d.Info(); {
		case d.IsDir():
			dirs++
		case d.Type().IsRegular():
			files++
			size += info.Size()
		default:
			others++
		}
		return nil
	})
	for _, run := range []string{"first", "rerun"} {
		code, out, errOut := s.run(t, "--json", "backup")
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", run, code, errOut)
		}
		var sum backupSummary
		var q struct {
			Queue struct{ Entries, Dirs, Files int64 } `json:"queue"`
		}
		json.Unmarshal([]byte(out), &sum)
		for _, l := range strings.Split(errOut, "\n") {
			if strings.HasPrefix(l, `{"queue"`) {
				json.Unmarshal([]byte(l), &q)
			}
		}
		if q.Queue.Dirs != dirs || q.Queue.Files != files || q.Queue.Entries != dirs+files+others {
			t.Errorf("%s: queue %+v, the tree has %d directories, %d files, %d others", run, q.Queue, dirs, files, others)
		}
		if sum.Entries != q.Queue.Entries || sum.DirsCreated+sum.DirsReused != dirs {
			t.Errorf("%s: summary: %d entries, %d + %d directories; queue %+v", run, sum.Entries, sum.DirsCreated, sum.DirsReused, q.Queue)
		}
		code, out, errOut = s.run(t, "--json", "list")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var row struct {
			Entries, Bytes, Files int64
			Source                string
			Pattern               string `json:"source_pattern"`
		}
		if code != 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &row) != nil {
			t.Fatalf("list: exit %d\n%s%s", code, out, errOut)
		}
		if row.Entries != sum.Entries || row.Bytes != size || row.Files != files || row.Source != sum.Source ||
			row.Source != snap || row.Pattern != filepath.Join(s.snaps, "snap.*") {
			t.Errorf("%s: list row %+v; summary %d entries from %s; the tree has %d bytes in %d files", run, row, sum.Entries, sum.Source, size, files)
		}
	}
	target := filepath.Join(t.TempDir(), "out")
	code, out, errOut := s.run(t, "--json", "restore", "gen:2", target)
	var r struct{ Files, Dirs, Symlinks, Special int64 }
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if r.Dirs != dirs || r.Files != files || r.Symlinks+r.Special != others {
		t.Errorf("restore counted %+v; the tree has %d directories, %d files, %d others", r, dirs, files, others)
	}
}
