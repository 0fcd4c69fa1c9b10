package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestFindCommand: find over three real backups says which generations
// hold each version of a matching path, for globs on names and paths,
// regexps, raw names and chosen backups, and reads each distinct
// directory once however many backups share it.
func TestFindCommand(t *testing.T) {
	g := testgrid.Shared(t)
	inUTC(t)
	proxy := testgrid.NewCountingProxy(t, g.URL())
	s := newSite(t, proxy.URL(), "")
	one, two, three := filepath.Join(s.snaps, "snap.1"), filepath.Join(s.snaps, "snap.2"), filepath.Join(s.snaps, "snap.3")
	browseTree(t, one)
	s.mustBackup(t)
	copyTree(t, one, two)
	must(t, unix.Chmod(filepath.Join(two, "etc/shadow"), 0o600))
	mustWrite(t, filepath.Join(two, "data/new.txt"), []byte("new\n"))
	setTimes(t, two, browseTime)
	s.mustBackup(t)
	copyTree(t, two, three)
	must(t, os.Remove(filepath.Join(three, "data/new.txt")))
	setTimes(t, three, browseTime)
	s.mustBackup(t)

	proxy.Reset()
	code, out, errOut := s.run(t, "find", "shadow")
	if code != 0 {
		t.Fatalf("find: exit %d\n%s", code, errOut)
	}
	want := "1    -rw-r-----  0  42  15  2026-11-20 02:30:00  etc/shadow\n" +
		"2-3  -rw-------  0  42  15  2026-11-20 02:30:00  etc/shadow\n"
	if out != want {
		t.Errorf("find shadow:\n%s\nwant\n%s", out, want)
	}
	// Opening three backups (2 requests each), the 9 directories below the
	// root of generation 1, then only what changed: etc and data in 2;
	// nothing in 3, whose data is generation 1's again (same cap).
	if n := proxy.Count(); n != 3*2+9+2 {
		t.Errorf("find over 3 backups sent %d requests, want 17: %q", n, proxy.Requests())
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"find", "new.txt"}, "2  -rw-r--r--  0  0  4  2026-11-20 02:30:00  data/new.txt\n"},
		{[]string{"find", "caf*"}, "1-3  -rw-r--r--  0  0  8  2026-11-20 02:30:00  caf\\xe9.txt\n"},
		{[]string{"find", "deep/**/*.txt"}, "1-3  -rw-------  0  0  5  2026-11-20 02:30:00  deep/a/b/c/d.txt\n"},
		{[]string{"find", "--regexp", `^/dev/.*l+$`}, "1-3  crw-rw-rw-  0  0  1,3  2026-11-20 02:30:00  dev/null\n"},
		{[]string{"find", "c/"}, "1-3  drwxr-xr-x  0  0  -  2026-11-20 02:30:00  deep/a/b/c\n"},
		{[]string{"find", "shadow", "gen:3", "snap.1"}, "1  -rw-r-----  0  42  15  2026-11-20 02:30:00  etc/shadow\n" +
			"3  -rw-------  0  42  15  2026-11-20 02:30:00  etc/shadow\n"},
		{[]string{"find", "nothing-matches-this"}, ""},
	} {
		code, out, errOut := s.run(t, tc.args...)
		if code != 0 || out != tc.want {
			t.Errorf("%q: exit %d\n%s\nwant\n%s%s", tc.args, code, out, tc.want, errOut)
		}
	}

	code, out, errOut = s.run(t, "--json", "find", "shadow")
	if code != 0 {
		t.Fatalf("find --json: exit %d\n%s", code, errOut)
	}
	objs := jsonLines(t, out)
	if len(objs) != 2 || !jsonEqual(objs[0]["generations"], []int{1}) || !jsonEqual(objs[1]["generations"], []int{2, 3}) ||
		objs[1]["mode"] != "0600" || objs[1]["path"] != "etc/shadow" {
		t.Errorf("find --json:\n%s", out)
	}

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"find", "["}, "syntax error in pattern"},
		{[]string{"find", "--regexp", "(?!x)"}, "look-ahead"},
		{[]string{"find"}, "find takes a PATTERN"},
		{[]string{"find", "x", "gen:9"}, "no such backup"},
	} {
		code, _, errOut := s.run(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%q: exit %d, want 2 with %q:\n%s", tc.args, code, tc.msg, errOut)
		}
	}
}
