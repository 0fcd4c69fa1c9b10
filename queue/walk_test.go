package queue

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/lafs-backup/lafs-backup/filter"
	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// build runs WriteFile on fsys and returns the paths written, the stats
// and the log.
func build(t *testing.T, fsys FS, o BuildOptions) ([]string, Stats, string) {
	t.Helper()
	var logBuf bytes.Buffer
	o.FS = fsys
	o.Logger = slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	qpath := filepath.Join(t.TempDir(), "queue")
	st, err := WriteFile(context.Background(), qpath, memRoot, o)
	if err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	r, err := Open(qpath)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var paths []string
	for {
		e, err := r.Next()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatal(err)
		}
		paths = append(paths, e.Path)
	}
	if int64(len(paths)) != st.Entries {
		t.Errorf("Stats.Entries = %d, queue has %d", st.Entries, len(paths))
	}
	return paths, st, logBuf.String()
}

func TestWalkOrder(t *testing.T) {
	fsys := newMemFS("a:d", "a/z:f", "a b:f", "a\x00:f", "b:d", "b/x:d", "b/x/1:f", "b/y:l", "c:f", "B:f")
	got, st, _ := build(t, fsys, BuildOptions{})
	want := []string{"c", "b/y", "b/x/1", "b/x", "b", "a b", "a\x00", "a/z", "a", "B", ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order:\n got %q\nwant %q", got, want)
	}
	if st.Dirs != 4 || st.Files != 6 || st.Symlinks != 1 || st.Errors != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestWalkFilter(t *testing.T) {
	fsys := newMemFS("var:d", "var/log:d", "var/log/messages:f", "var/log/security:d",
		"var/log/security/auth:f", "var/tmp:d", "var/tmp/junk:f", "link:l", "keep:d")
	flt, err := filter.Parse([]string{`+^/var/log/($|security/)`, `-^/var/(tmp|cache|log|spool)/`, `-^/link/`, `-^/link$`})
	if err != nil {
		t.Fatal(err)
	}
	got, st, _ := build(t, fsys, BuildOptions{Selection: Selection{Filter: flt}})
	want := []string{"var/log/security/auth", "var/log/security", "var/log", "var", "keep", ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if n := fsys.readDirCalls[memRoot+"/var/tmp"]; n != 0 {
		t.Errorf("excluded directory listed %d times", n)
	}
	if st.Skipped != 3 { // var/tmp, var/log/messages, link (by "-^/link$", not "-^/link/")
		t.Errorf("Skipped = %d, want 3", st.Skipped)
	}
}

// With no type from the listing the walker lstats first, so the filter
// still sees directories with their trailing slash.
func TestWalkUnknownListType(t *testing.T) {
	fsys := newMemFS("d:d", "d/f:f", "f:f")
	for _, n := range fsys.nodes {
		n.listType = 0
	}
	flt, _ := filter.Parse([]string{`-^/d/$`})
	got, _, _ := build(t, fsys, BuildOptions{Selection: Selection{Filter: flt}})
	if want := []string{"f", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestWalkErrorsAreSkippedAndCounted(t *testing.T) {
	fsys := newMemFS("ok:f", "locked:d", "locked/x:f", "gone:f", "deep:d", "deep/bad\nname:d", "deep/bad\nname/y:f")
	denied := &fs.PathError{Op: "open", Path: memRoot + "/locked", Err: syscall.EACCES}
	fsys.node("locked").readDirErr = denied
	fsys.node("deep/bad\nname").readDirErr = &fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}
	fsys.node("gone").readErr = &fs.PathError{Op: "lstat", Path: memRoot + "/gone", Err: syscall.ENOENT}
	got, st, log := build(t, fsys, BuildOptions{})
	if want := []string{"ok", "deep", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
	if st.Errors != 3 || len(st.Failures) != 3 {
		t.Fatalf("Errors = %d, Failures = %v", st.Errors, st.Failures)
	}
	if st.Failures[0].Path != "locked" || !errors.Is(st.Failures[0].Err, syscall.EACCES) {
		t.Errorf("first failure %+v", st.Failures[0])
	}
	for _, want := range []string{`path=locked reason="permission denied"`, `path=gone reason="no such file or directory"`, `path=deep/bad\nname reason`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}

func TestWalkUnreadableRootFails(t *testing.T) {
	fsys := newMemFS("a:f")
	fsys.node("").readDirErr = &fs.PathError{Op: "open", Path: memRoot, Err: syscall.EACCES}
	qpath := filepath.Join(t.TempDir(), "queue")
	if err := os.WriteFile(qpath, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := WriteFile(context.Background(), qpath, memRoot, BuildOptions{FS: fsys})
	if !errors.Is(err, syscall.EACCES) {
		t.Fatalf("err = %v", err)
	}
	assertOnlyFile(t, qpath, "old")
}

func TestWalkCancelledLeavesNothing(t *testing.T) {
	fsys := newMemFS("a:d", "a/b:f")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	qpath := filepath.Join(t.TempDir(), "queue")
	if _, err := WriteFile(ctx, qpath, memRoot, BuildOptions{FS: fsys}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	assertOnlyFile(t, qpath, "")
}

// assertOnlyFile checks that the queue's directory holds only the queue
// with the given content ("" = no queue at all): no temporary files.
func assertOnlyFile(t *testing.T, qpath, content string) {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Dir(qpath))
	if content == "" {
		if len(ents) != 0 {
			t.Errorf("left behind: %v", ents)
		}
		return
	}
	if len(ents) != 1 {
		t.Errorf("directory holds %v", ents)
	}
	if b, _ := os.ReadFile(qpath); string(b) != content {
		t.Errorf("queue changed to %q", b)
	}
}

func TestWalkSpecialFiles(t *testing.T) {
	specs := []string{"fifo:p", "sock:s", "null:c", "sda:b", "f:f"}
	got, st, _ := build(t, newMemFS(specs...), BuildOptions{})
	if len(got) != 6 || st.Specials != 4 {
		t.Errorf("record: %q %+v", got, st)
	}
	got, st, _ = build(t, newMemFS(specs...), BuildOptions{Selection: Selection{SpecialFiles: SkipSpecial}})
	if want := []string{"f", ""}; !reflect.DeepEqual(got, want) || st.Skipped != 4 {
		t.Errorf("skip: %q %+v", got, st)
	}
}

func TestWalkCacheDirTag(t *testing.T) {
	fsys := newMemFS("cache:d", "cache/CACHEDIR.TAG:f", "cache/blob:f", "cache/sub:d", "cache/sub/x:f",
		"fake:d", "fake/CACHEDIR.TAG:f", "fake/data:f", "other:d", "other/CACHEDIR.TAG:p", "other/y:f")
	fsys.node("cache/CACHEDIR.TAG").head = cacheDirTagSig + "\n# a comment\n"
	fsys.node("fake/CACHEDIR.TAG").head = "Signature: wrong"
	got, st, _ := build(t, fsys, BuildOptions{Selection: Selection{CacheDirTag: true}})
	want := []string{"other/y", "other/CACHEDIR.TAG", "other", "fake/data", "fake/CACHEDIR.TAG", "fake",
		"cache/CACHEDIR.TAG", "cache", ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if st.Skipped != 2 || fsys.readDirCalls[memRoot+"/cache/sub"] != 0 {
		t.Errorf("Skipped %d, cache/sub listed %d times", st.Skipped, fsys.readDirCalls[memRoot+"/cache/sub"])
	}
	got, _, _ = build(t, fsys, BuildOptions{})
	if len(got) != 12 {
		t.Errorf("without the option everything is kept: %q", got)
	}
}

func TestWalkOneFileSystem(t *testing.T) {
	fsys := newMemFS("mnt:d", "mnt/x:f", "home:d", "home/y:f")
	fsys.node("mnt").m.Dev = 99
	got, _, _ := build(t, fsys, BuildOptions{Selection: Selection{OneFileSystem: true}})
	if want := []string{"mnt", "home/y", "home", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
	if fsys.readDirCalls[memRoot+"/mnt"] != 0 {
		t.Error("listed a directory on another filesystem")
	}
}

func TestWalkSkipPaths(t *testing.T) {
	fsys := newMemFS("state:d", "state/cache.db:f", "state/cache.db-wal:f", "state/notes:f")
	got, st, _ := build(t, fsys, BuildOptions{Selection: Selection{SkipPaths: []string{memRoot + "/state/cache.db", memRoot + "/state/cache.db-wal"}}})
	if want := []string{"state/notes", "state", ""}; !reflect.DeepEqual(got, want) || st.Skipped != 2 {
		t.Errorf("got %q want %q (%+v)", got, want, st)
	}
}

func TestWalkSourceNotADirectory(t *testing.T) {
	fsys := newMemFS()
	fsys.nodes[memRoot].m = meta(fsmeta.TypeFile, 0o644)
	_, err := WriteFile(context.Background(), filepath.Join(t.TempDir(), "q"), memRoot, BuildOptions{FS: fsys})
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("err = %v", err)
	}
}

// A queue written inside the source tree does not record itself (nor its
// temporary file).
func TestWalkSkipsOwnQueue(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	qpath := filepath.Join(dir, "queue")
	for range 2 { // the second run finds the first queue in place
		if _, err := WriteFile(context.Background(), qpath, dir, BuildOptions{}); err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, e := range readQueueFile(t, qpath) {
			paths = append(paths, e.Path)
		}
		if want := []string{"data", ""}; !reflect.DeepEqual(paths, want) {
			t.Errorf("got %q want %q", paths, want)
		}
	}
}

func readQueueFile(t *testing.T, path string) []Entry {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var es []Entry
	for {
		e, err := r.Next()
		if err == io.EOF {
			return es
		}
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
}
