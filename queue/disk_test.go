//go:build linux

package queue

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/filter"
	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/needs"
)

// hookFS is the real filesystem with hooks: a directory that reports
// EACCES, and a file deleted right after its directory is listed.
type hookFS struct {
	OS
	denied    string // absolute path whose listing fails
	vanishDir string // after listing this directory ...
	vanish    string // ... this file is deleted
}

func (h hookFS) OpenDir(p string) (Dir, error) {
	d, err := h.OS.OpenDir(p)
	if err != nil {
		return nil, err
	}
	return &hookDir{Dir: d, h: h, path: p}, nil
}

// hookDir is a real open directory that applies its hookFS's hooks.
type hookDir struct {
	Dir
	h    hookFS
	path string
}

func (d *hookDir) List() ([]DirEntry, error) {
	if d.path == d.h.denied {
		return nil, &fs.PathError{Op: "open", Path: d.path, Err: syscall.EACCES}
	}
	ents, err := d.Dir.List()
	if err == nil && d.path == d.h.vanishDir {
		os.Remove(d.h.vanish)
	}
	return ents, err
}

func (d *hookDir) OpenDir(name string) (Dir, error) {
	c, err := d.Dir.OpenDir(name)
	if err != nil {
		return nil, err
	}
	return &hookDir{Dir: c, h: d.h, path: joinAbs(d.path, name)}, nil
}

// awkwardTree makes a tree of odd names and file types under dir and
// returns the relative paths the walk must not record.
func awkwardTree(t *testing.T, dir string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	write := func(rel, content string) {
		must(os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644))
	}
	for _, d := range []string{"sub", "sub/deeper", "locked", "cache", "cache/blobs", "gone-dir"} {
		must(os.Mkdir(filepath.Join(dir, d), 0o755))
	}
	for _, name := range []string{"new\nline", "bad\xffname", " lead and trail ", `back\slash`, "café", "#hash", "sub/deeper/f", "locked/secret", "gone-dir/vanishing", "gone-dir/stays"} {
		write(name, "content of "+name)
	}
	write("cache/CACHEDIR.TAG", cacheDirTagSig+"\n")
	write("cache/blobs/x", "x")
	must(os.Symlink("sub", filepath.Join(dir, "link-to-dir")))
	must(os.Symlink("/nonexistent/target", filepath.Join(dir, "dangling")))
	must(os.Link(filepath.Join(dir, "café"), filepath.Join(dir, "hardlink")))
	must(unix.Mkfifo(filepath.Join(dir, "fifo"), 0o600))
	must(unix.Chmod(filepath.Join(dir, "sub"), 0o2775))
	must(unix.Lsetxattr(filepath.Join(dir, "café"), "user.note", []byte("a\x00b"), 0))
	if err := unix.Mknod(filepath.Join(dir, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
		t.Logf("no device node: %v", err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "sock"))
	must(err)
	t.Cleanup(func() { l.Close() })
	if _, err := exec.LookPath("setfacl"); err == nil {
		out, err := exec.Command("setfacl", "-m", "u:1234:r-x", "-m", "d:g:55:rwx", filepath.Join(dir, "sub")).CombinedOutput()
		if err != nil {
			t.Logf("setfacl: %v %s", err, out)
		}
	}
}

func TestWalkRealTree(t *testing.T) {
	dir := t.TempDir()
	awkwardTree(t, dir)
	qpath := filepath.Join(t.TempDir(), "queue")
	hfs := hookFS{denied: filepath.Join(dir, "locked"), vanishDir: filepath.Join(dir, "gone-dir"),
		vanish: filepath.Join(dir, "gone-dir", "vanishing")}
	st, err := WriteFile(context.Background(), qpath, dir, BuildOptions{Selection: Selection{CacheDirTag: true}, FS: hfs, Xattrs: true})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(qpath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("queue mode %v, %v", fi.Mode(), err)
	}
	// The trailer carries what the walk left out, for a reuse to report.
	if sv, err := SurveyFile(qpath); err != nil || sv.Walk == nil || st.Errors == 0 ||
		*sv.Walk != (Summary{Errors: st.Errors, Skipped: st.Skipped}) {
		t.Fatalf("trailer summary %v (%v), want errors %d skipped %d", sv.Walk, err, st.Errors, st.Skipped)
	}
	// A queue left 0644 (reused with --reuse-queue) is made 0600 by Open.
	os.Chmod(qpath, 0o644)
	if r, err := Open(qpath); err != nil {
		t.Fatal(err)
	} else {
		r.Close()
	}
	if fi, _ := os.Stat(qpath); fi.Mode().Perm() != 0o600 {
		t.Fatalf("queue mode %v after Open, want 0600", fi.Mode())
	}
	es := readQueueFile(t, qpath)
	got := map[string]Entry{}
	for _, e := range es {
		got[e.Path] = e
	}
	for _, absent := range []string{"locked", "locked/secret", "gone-dir/vanishing", "cache/blobs", "cache/blobs/x", "link-to-dir/deeper"} {
		if _, ok := got[absent]; ok {
			t.Errorf("%q recorded", absent)
		}
	}
	for _, present := range []string{"new\nline", "bad\xffname", " lead and trail ", `back\slash`, "#hash", "café", "hardlink",
		"fifo", "sock", "link-to-dir", "dangling", "cache/CACHEDIR.TAG", "cache", "gone-dir/stays", "sub/deeper/f", ""} {
		if _, ok := got[present]; !ok {
			t.Errorf("%q missing", present)
		}
	}
	if st.Errors != 2 || st.Entries != int64(len(es)) {
		t.Errorf("stats %+v (want 2 errors: locked, vanishing)", st)
	}
	for _, e := range es {
		checkAgainstDisk(t, dir, e)
	}
	if got["fifo"].Type != fsmeta.TypeFIFO || got["link-to-dir"].Type != fsmeta.TypeSymlink || got["sock"].Type != fsmeta.TypeSocket {
		t.Errorf("types: fifo %v, link %v, sock %v", got["fifo"].Type, got["link-to-dir"].Type, got["sock"].Type)
	}
	if x := got["café"].Xattrs["user.note"]; string(x) != "a\x00b" {
		t.Errorf("xattr user.note = %q", x)
	}
	sub := got["sub"]
	if sub.Mode&unix.S_ISGID == 0 {
		t.Errorf("sub lost its setgid bit: %o", sub.Mode)
	}
	if _, err := exec.LookPath("setfacl"); err == nil {
		acl := strings.Join(sub.ACL, ",")
		if !strings.Contains(acl, "u:1234:r-x") || !strings.Contains(acl, "d:g:55:rwx") {
			t.Errorf("sub ACL = %q", acl)
		}
	}
	if got["café"].Ino != got["hardlink"].Ino || got["café"].Nlink != 2 {
		t.Error("hardlink pair not recognisable")
	}
}

// checkAgainstDisk compares an entry with lstat and with fsmeta.Read.
func checkAgainstDisk(t *testing.T, dir string, e Entry) {
	t.Helper()
	p := filepath.Join(dir, e.Path)
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Errorf("%q: %v", e.Path, err)
		return
	}
	m := e.Meta
	if m.Mode != st.Mode || m.UID != st.Uid || m.GID != st.Gid || m.Ino != st.Ino || m.Dev != st.Dev ||
		m.Nlink != st.Nlink || (m.Type != fsmeta.TypeDir && m.Size != st.Size) ||
		(m.Type != fsmeta.TypeDir && m.MtimeNs != st.Mtim.Nano()) {
		t.Errorf("%q: queue %+v, lstat %+v", e.Path, m, st)
	}
	if m.Type == fsmeta.TypeCharDev && m.Rdev != st.Rdev {
		t.Errorf("%q: rdev %d, lstat %d", e.Path, m.Rdev, st.Rdev)
	}
	if m.Type == fsmeta.TypeDir {
		return // directory times change as the test runs
	}
	want, err := fsmeta.Read(p, fsmeta.Options{Xattrs: true})
	if err != nil || !reflect.DeepEqual(normalize([]Entry{{Meta: want}})[0].Meta, normalize([]Entry{{Meta: m}})[0].Meta) {
		t.Errorf("%q: queue %+v, fsmeta.Read %+v (%v)", e.Path, m, want, err)
	}
}

// A filter sees a symlink to a directory without the trailing slash.
func TestWalkRealSymlinkToDirFiltered(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("d", filepath.Join(dir, "ld")); err != nil {
		t.Fatal(err)
	}
	flt, _ := filter.Parse([]string{`-^/l?d/$`})
	qpath := filepath.Join(t.TempDir(), "q")
	if _, err := WriteFile(context.Background(), qpath, dir, BuildOptions{Selection: Selection{Filter: flt}}); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range readQueueFile(t, qpath) {
		paths = append(paths, e.Path)
	}
	if want := []string{"ld", ""}; !reflect.DeepEqual(paths, want) {
		t.Errorf("got %q want %q", paths, want)
	}
}

func TestWalkRealOneFileSystem(t *testing.T) {
	dir := t.TempDir()
	mnt := filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("none", mnt, "tmpfs", 0, "size=1m"); err != nil {
		needs.Unmet(t, "cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	if err := os.WriteFile(filepath.Join(mnt, "inside"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, one := range []bool{true, false} {
		qpath := filepath.Join(t.TempDir(), "q")
		if _, err := WriteFile(context.Background(), qpath, dir, BuildOptions{Selection: Selection{OneFileSystem: one}}); err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, e := range readQueueFile(t, qpath) {
			paths = append(paths, e.Path)
		}
		want := "mnt/inside,mnt,"
		if one {
			want = "mnt,"
		}
		if strings.Join(paths, ",") != want {
			t.Errorf("OneFileSystem=%v: %q", one, paths)
		}
	}
}

// The source may be a symlink to the snapshot: it is followed there only.
func TestWalkRealSourceSymlink(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap")
	if err := os.MkdirAll(filepath.Join(snap, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	latest := filepath.Join(dir, "latest")
	if err := os.Symlink("snap", latest); err != nil {
		t.Fatal(err)
	}
	qpath := filepath.Join(t.TempDir(), "q")
	if _, err := WriteFile(context.Background(), qpath, latest, BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	r, err := Open(qpath)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Header().Source != latest {
		t.Errorf("header source %q, want %q", r.Header().Source, latest)
	}
	if e, err := r.Next(); err != nil || e.Path != "a" {
		t.Errorf("first entry %q, %v", e.Path, err)
	}
	if ok, err := Reusable(qpath, latest); !ok || err != nil {
		t.Errorf("Reusable: %v %v", ok, err)
	}
	if ok, err := Reusable(qpath, snap); ok || !errors.Is(err, ErrOtherSource) {
		t.Errorf("Reusable for another source: %v %v", ok, err)
	}
}

// TestWalkRealPathMax: entries whose path would pass PATH_MAX are
// reported (ENAMETOOLONG) and left out, as before the walk read relative
// to directory descriptors: phase two opens files by path.
func TestWalkRealPathMax(t *testing.T) {
	dir := t.TempDir()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.Repeat("n", 100)
	depth, rel := 0, len(dir)
	for ; rel+1+len(name) <= unix.PathMax-100; rel += 1 + len(name) {
		if err := unix.Mkdirat(fd, name, 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd, depth = next, depth+1
	}
	// In the deepest directory (rel bytes), a name of n bytes makes a
	// path of rel+1+n: the longest that fits is PathMax-1 bytes.
	long := unix.PathMax - rel - 1
	fits, tooLong := strings.Repeat("x", long-1), strings.Repeat("y", long)
	for _, f := range []string{fits, tooLong} {
		ffd, err := unix.Openat(fd, f, unix.O_CREAT|unix.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(ffd)
	}
	unix.Close(fd)
	qpath := filepath.Join(t.TempDir(), "q")
	st, err := WriteFile(context.Background(), qpath, dir, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deepest := strings.Repeat(name+"/", depth)
	if st.Errors != 1 || len(st.Failures) != 1 || !errors.Is(st.Failures[0].Err, unix.ENAMETOOLONG) ||
		st.Failures[0].Path != deepest+tooLong {
		t.Fatalf("errors %d, failures %v; want the long name alone, ENAMETOOLONG", st.Errors, st.Failures)
	}
	if want := int64(depth + 2); st.Entries != want { // the dirs, fits, the root
		t.Fatalf("%d entries, want %d", st.Entries, want)
	}
	if es := readQueueFile(t, qpath); es[0].Path != deepest+fits {
		t.Fatalf("first entry %q, want the short name in the deepest directory", es[0].Path)
	}
}
