package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/internal/needs"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// browseTime is the mtime every entry of browseTree gets.
var browseTime = time.Date(2026, 11, 20, 2, 30, 0, 0, time.UTC)

// browseTree writes a snapshot with every kind of entry ls must show:
// setuid, caps, an ACL, an xattr, a group other than root's, short (LIT)
// and long symlinks, a hardlink pair, a FIFO, a device, a name that is not
// UTF-8, an NFC/NFD pair (one gets "~1" on the grid), an empty and a deep
// directory. Every mtime is browseTime.
func browseTree(t *testing.T, root string) {
	t.Helper()
	needs.Root(t, "device nodes, capabilities and owners")
	needs.Tools(t, "setfacl", "setcap")
	w := func(rel string, data string, mode uint32) {
		p := filepath.Join(root, rel)
		mustWrite(t, p, []byte(data))
		must(t, unix.Chmod(p, mode)) // os.Chmod would drop setuid: it is not 04000 in an os.FileMode
	}
	w("etc/app.conf", strings.Repeat("key = value\n", 500), 0o644)
	w("etc/shadow", "root:*:1::::::\n", 0o640)
	must(t, os.Lchown(filepath.Join(root, "etc/shadow"), 0, 42))
	w("bin/ping", "#!/bin/sh\n", 0o755)
	w("bin/su", "#!/bin/sh\n", 0o4755)
	w("data/notes.txt", "notes\n", 0o644)
	w("data/acl.txt", "acl\n", 0o644)
	w("caf\xe9.txt", "latin-1\n", 0o644)
	w("\u00e9.txt", "nfc\n", 0o644)
	w("e\u0301.txt", "nfd\n", 0o644)
	w("deep/a/b/c/d.txt", "deep\n", 0o600)
	must(t, os.MkdirAll(filepath.Join(root, "emptydir"), 0o755))
	must(t, os.MkdirAll(filepath.Join(root, "dev"), 0o755))
	must(t, os.Symlink("../etc/app.conf", filepath.Join(root, "data/link")))
	must(t, os.Symlink("/srv/a/target/that/is/much/longer/than/fifty-five/bytes/so/not/LIT", filepath.Join(root, "data/longlink")))
	must(t, os.Link(filepath.Join(root, "etc/app.conf"), filepath.Join(root, "data/app.conf.hard")))
	must(t, unix.Mkfifo(filepath.Join(root, "dev/fifo"), 0o644))
	must(t, unix.Mknod(filepath.Join(root, "dev/null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	must(t, os.Chmod(filepath.Join(root, "dev/null"), 0o666))
	if err := unix.Lsetxattr(filepath.Join(root, "data/notes.txt"), "user.origin", []byte("scanner"), 0); err != nil {
		needs.Unmet(t, "user xattrs on the temp directory: %v", err)
	}
	runAll(t,
		[]string{"setfacl", "-m", "u:1001:r", filepath.Join(root, "data/acl.txt")},
		[]string{"setcap", "cap_net_raw=ep", filepath.Join(root, "bin/ping")},
	)
	setTimes(t, root, browseTime)
}

// runAll runs each command line, failing the test on the first error.
func runAll(t *testing.T, cmds ...[]string) {
	t.Helper()
	for _, c := range cmds {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", c, err, out)
		}
	}
}

// setTimes sets every mtime below root (root included, symlinks not
// followed) to at, directories last.
func setTimes(t *testing.T, root string, at time.Time) {
	t.Helper()
	var paths []string
	must(t, filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		paths = append(paths, p)
		return err
	}))
	ts := []unix.Timespec{unix.NsecToTimespec(at.UnixNano()), unix.NsecToTimespec(at.UnixNano())}
	for _, p := range slices.Backward(paths) {
		must(t, unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW))
	}
}

// inUTC makes local times UTC for the test, so golden output does not
// depend on the machine's zone.
func inUTC(t *testing.T) {
	old := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = old })
}

// jsonLines decodes one JSON object per line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var o map[string]any
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		objs = append(objs, o)
	}
	return objs
}

// TestLsCommand: ls shows a real backup's entries (every kind, raw names
// escaped, ~N names as the raw names they stand for) for every BACKUP
// form restore takes, one path of it, recursively, and as JSON.
func TestLsCommand(t *testing.T) {
	g := testgrid.Shared(t)
	inUTC(t)
	s := newSite(t, g.URL(), "")
	browseTree(t, filepath.Join(s.snaps, "snap.1"))
	root := s.mustBackup(t)

	code, out, errOut := s.run(t, "ls", "-R", "snap.1")
	if code != 0 {
		t.Fatalf("ls -R: exit %d\n%s", code, errOut)
	}
	golden(t, "ls-R.golden", out)

	capFile := writeFile(t, "cap", root.Secret()+"\n")
	top := "" // the root's own listing, the same whichever form names the backup
	for _, form := range []struct {
		args  []string
		stdin string
	}{
		{[]string{"ls", "snap.1"}, ""},
		{[]string{"ls", "gen:1"}, ""},
		{[]string{"ls", "@" + capFile}, ""},
		{[]string{"ls", "-"}, "\n" + root.Secret() + "\n"},
		{[]string{"ls", root.Secret()}, ""},
	} {
		code, out, errOut := runMainIn(t, form.stdin, append([]string{"-c", s.config}, form.args...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", form.args[1][:min(len(form.args[1]), 8)], code, errOut)
		}
		if top == "" {
			top = out
		} else if out != top {
			t.Errorf("ls %.8s lists\n%s\nnot\n%s", form.args[1], out, top)
		}
		if strings.Contains(out+errOut, root.Secret()) {
			t.Error("ls printed the cap")
		}
	}
	if want := "drwxr-xr-x  0  0  -  2026-11-20 02:30:00  bin\n"; !strings.HasPrefix(top, want) || strings.Contains(top, "bin/ping") {
		t.Errorf("ls BACKUP: the root's entries only, first %q; got\n%s", want, top)
	}

	for _, tc := range []struct{ path, want string }{
		{"bin", "-rwxr-xr-x  0  0  10  2026-11-20 02:30:00  bin/ping\n-rwsr-xr-x  0  0  10  2026-11-20 02:30:00  bin/su\n"},
		{"etc/shadow", "-rw-r-----  0  42  15  2026-11-20 02:30:00  etc/shadow\n"},
		{"caf\xe9.txt", "-rw-r--r--  0  0  8  2026-11-20 02:30:00  caf\\xe9.txt\n"}, // the raw name
		{`caf\xe9.txt`, "-rw-r--r--  0  0  8  2026-11-20 02:30:00  caf\\xe9.txt\n"}, // the on-grid name
		{"é~1.txt", "-rw-r--r--  0  0  4  2026-11-20 02:30:00  e\u0301.txt\n"},      // the on-grid name of the NFD one
		{"e\u0301.txt", "-rw-r--r--  0  0  4  2026-11-20 02:30:00  e\u0301.txt\n"},
		{"/deep/a/b/", "drwxr-xr-x  0  0  -  2026-11-20 02:30:00  deep/a/b/c\n"},
		{"emptydir", ""},
	} {
		code, out, errOut := s.run(t, "ls", "gen:1", tc.path)
		if code != 0 || out != tc.want {
			t.Errorf("ls gen:1 %q: exit %d\n%s\nwant\n%s%s", tc.path, code, out, tc.want, errOut)
		}
	}

	code, out, errOut = s.run(t, "--json", "ls", "-R", "gen:1")
	if code != 0 {
		t.Fatalf("ls --json: exit %d\n%s", code, errOut)
	}
	byPath := map[string]map[string]any{}
	for _, o := range jsonLines(t, out) {
		byPath[o["path"].(string)] = o
	}
	for path, want := range map[string]map[string]any{
		"bin/su":             {"type": "file", "mode": "4755", "uid": 0.0, "gid": 0.0, "size": 10.0, "mtime": "2026-11-20T02:30:00Z"},
		"bin/ping":           {"caps": "cap_net_raw=ep"},
		"data/acl.txt":       {"acl": "u::rw-,u:1001:r--,g::r--,m::r--,o::r--"},
		"data/notes.txt":     {"xattrs": map[string]any{"user.origin": "c2Nhbm5lcg=="}},
		"data/link":          {"type": "symlink", "target": "../etc/app.conf"},
		"data/longlink":      {"target": "/srv/a/target/that/is/much/longer/than/fifty-five/bytes/so/not/LIT"},
		"dev/null":           {"type": "chardev", "rdev": "1:3", "mode": "0666"},
		"dev/fifo":           {"type": "fifo"},
		"etc/app.conf":       {"enc": "xz", "size": 6000.0},
		"caf\\xe9.txt":       {"type": "file"},
		"deep/a/b/c/d.txt":   {"mode": "0600"},
		"emptydir":           {"type": "dir", "mode": "0755"},
		"e\u0301.txt":        {"size": 4.0},
		"\u00e9.txt":         {"size": 4.0},
		"data/app.conf.hard": {"size": 6000.0, "hardlink": "etc/app.conf"}, // etc/ comes first in phase one (descending names)
	} {
		got, ok := byPath[path]
		if !ok {
			t.Errorf("ls --json: no %q", path)
			continue
		}
		for k, v := range want {
			if !jsonEqual(got[k], v) {
				t.Errorf("ls --json %q: %s = %v, want %v", path, k, got[k], v)
			}
		}
	}
	if len(byPath) != strings.Count(golden0(t, "ls-R.golden"), "\n") {
		t.Errorf("ls --json: %d entries, the text listing has %d lines", len(byPath), strings.Count(golden0(t, "ls-R.golden"), "\n"))
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"ls", "gen:1", "nothere"}, exitUsage, "no entry nothere in ."},
		{[]string{"ls", "gen:1", "etc/app.conf/x"}, exitUsage, "etc/app.conf is not a directory"},
		{[]string{"ls", "gen:9"}, exitUsage, "no such backup"},
		{[]string{"ls"}, exitUsage, "ls takes BACKUP"},
	} {
		code, _, errOut := s.run(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", tc.args, code, tc.code, tc.msg, errOut)
		}
	}
}

// jsonEqual compares a decoded JSON value with a wanted one.
func jsonEqual(got, want any) bool {
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	return string(a) == string(b)
}

// golden0 reads a golden file.
func golden0(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
