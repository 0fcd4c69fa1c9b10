package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestDiffCommand: diff of two real backups names what was added, removed
// and changed, and what changed (content, size, mode, owner, ACL, caps,
// xattrs, mtime, symlink target, type), in text (golden) and JSON.
func TestDiffCommand(t *testing.T) {
	g := testgrid.Shared(t)
	inUTC(t)
	s := newSite(t, g.URL(), "")
	one, two := filepath.Join(s.snaps, "snap.1"), filepath.Join(s.snaps, "snap.2")
	browseTree(t, one)
	s.mustBackup(t)

	copyTree(t, one, two)
	mustWrite(t, filepath.Join(two, "deep/a/b/c/d.txt"), []byte("DEEP\n")) // same size, new content
	must(t, unix.Chmod(filepath.Join(two, "etc/shadow"), 0o600))
	must(t, os.Lchown(filepath.Join(two, "bin/su"), 0, 5))
	must(t, unix.Lsetxattr(filepath.Join(two, "data/notes.txt"), "user.origin", []byte("editor"), 0))
	must(t, os.Remove(filepath.Join(two, "data/longlink")))
	must(t, os.Symlink("/srv/another/target/that/is/much/longer/than/fifty-five/bytes/too", filepath.Join(two, "data/longlink")))
	must(t, os.RemoveAll(filepath.Join(two, "emptydir")))
	must(t, os.Remove(filepath.Join(two, "dev/fifo")))
	mustWrite(t, filepath.Join(two, "dev/fifo"), []byte("now a file\n"))
	mustWrite(t, filepath.Join(two, "data/new.txt"), []byte("new\n"))
	mustWrite(t, filepath.Join(two, "newdir/inside.txt"), []byte("inside\n"))
	runAll(t,
		[]string{"setfacl", "-m", "u:1002:r", filepath.Join(two, "data/acl.txt")},
		[]string{"setcap", "cap_net_admin=ep", filepath.Join(two, "bin/ping")},
	)
	setTimes(t, two, browseTime)
	later := []unix.Timespec{unix.NsecToTimespec(browseTime.Add(time.Hour).UnixNano()), unix.NsecToTimespec(browseTime.Add(time.Hour).UnixNano())}
	must(t, unix.UtimesNanoAt(unix.AT_FDCWD, filepath.Join(two, "deep/a/b/c/d.txt"), later, 0))
	s.mustBackup(t)

	code, out, errOut := s.run(t, "diff", "gen:1", "snap.2")
	if code != 0 {
		t.Fatalf("diff: exit %d\n%s", code, errOut)
	}
	golden(t, "diff.golden", out)
	if !strings.Contains(errOut, "diff: 2 added, 1 removed, 8 changed;") {
		t.Errorf("summary: %s", errOut)
	}

	code, out, errOut = s.run(t, "--json", "diff", "gen:1", "gen:2", "--path", "data")
	if code != 0 {
		t.Fatalf("diff --json --path: exit %d\n%s", code, errOut)
	}
	objs := jsonLines(t, out)
	byPath := map[string]map[string]any{}
	for _, o := range objs {
		if p, ok := o["path"].(string); ok {
			byPath[p] = o
		}
	}
	for path, want := range map[string]map[string]any{
		"data/new.txt": {"kind": "added", "type": "file"},
		"data/notes.txt": {"kind": "changed", "fields": []map[string]string{
			{"field": "xattr user.origin", "old": `"scanner"`, "new": `"editor"`}}},
		"data/longlink": {"kind": "changed", "fields": []map[string]string{{"field": "target",
			"old": "/srv/a/target/that/is/much/longer/than/fifty-five/bytes/so/not/LIT",
			"new": "/srv/another/target/that/is/much/longer/than/fifty-five/bytes/too"}}},
	} {
		for k, v := range want {
			if !jsonEqual(byPath[path][k], v) {
				t.Errorf("diff --json %s: %s = %v, want %v", path, k, byPath[path][k], v)
			}
		}
	}
	if len(byPath) != 4 { // new.txt, notes.txt, longlink, acl.txt: nothing outside data
		t.Errorf("diff --path data: %d changes: %s", len(byPath), out)
	}
	if last := objs[len(objs)-1]; !jsonEqual(last["summary"].(map[string]any)["added"], 1) {
		t.Errorf("JSON summary: %v", last)
	}

	code, out, errOut = s.run(t, "diff", "gen:2", "gen:2")
	if code != 0 || out != "" || !strings.Contains(errOut, "0 directory listings read, 1 unchanged subtree skipped") {
		t.Errorf("a backup against itself: exit %d, %q\n%s", code, out, errOut)
	}
	code, _, errOut = s.run(t, "diff", "gen:1")
	if code != exitUsage || !strings.Contains(errOut, "two backups") {
		t.Errorf("one argument: exit %d\n%s", code, errOut)
	}
}

// TestDiffCostFollowsTheChange: equal caps are equal subtrees, so diff
// reads only the directories on the path of a change deep down: with 84
// directories and one changed file three levels below the root, it sends
// the four requests that open both backups and one listing per side per
// level, where ls -R reads every directory.
func TestDiffCostFollowsTheChange(t *testing.T) {
	g := testgrid.Shared(t)
	proxy := testgrid.NewCountingProxy(t, g.URL())
	s := newSite(t, proxy.URL(), "")
	one, two := filepath.Join(s.snaps, "snap.1"), filepath.Join(s.snaps, "snap.2")
	dirs := 0
	var fill func(dir string, depth int)
	fill = func(dir string, depth int) {
		for i := 0; i < 4; i++ {
			sub := filepath.Join(dir, fmt.Sprintf("d%d", i))
			mustWrite(t, filepath.Join(sub, "f.txt"), []byte(sub))
			dirs++
			if depth < 3 {
				fill(sub, depth+1)
			}
		}
	}
	fill(one, 1)
	s.mustBackup(t)
	copyTree(t, one, two)
	changed := filepath.Join(two, "d1/d2/d3/f.txt")
	mustWrite(t, changed, []byte("changed"))
	s.mustBackup(t)

	proxy.Reset()
	code, out, errOut := s.run(t, "diff", "gen:1", "gen:2")
	if code != 0 {
		t.Fatalf("diff: exit %d\n%s", code, errOut)
	}
	if !strings.HasPrefix(out, "M  d1/d2/d3/f.txt  size ") || strings.Count(out, "\n") != 1 {
		t.Errorf("diff: want the one changed file, got\n%s", out)
	}
	if n, want := proxy.Count(), 4+2*3; n != want {
		t.Errorf("diff sent %d requests, want %d (open both, then each side's d1, d1/d2, d1/d2/d3): %q", n, want, proxy.Requests())
	}
	proxy.Reset()
	if code, _, errOut := s.run(t, "ls", "-R", "gen:2"); code != 0 {
		t.Fatalf("ls -R: exit %d\n%s", code, errOut)
	}
	if n := proxy.Count(); n < dirs+2 {
		t.Errorf("ls -R sent %d requests for %d directories: the comparison above proves little", n, dirs)
	}
}
