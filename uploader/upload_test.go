package uploader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ulikunitz/xz"
	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/treeformat"
)

// deepTree: a/b/c/leaf.txt plus siblings at every level.
func deepTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	write(t, root, "a/b/c/leaf.txt", text(5000))
	write(t, root, "a/b/c/other.dat", text(3000))
	write(t, root, "a/b/sib.dat", text(200))
	write(t, root, "a/x.dat", text(100))
	write(t, root, "top.dat", text(400))
	write(t, root, "z/z.dat", text(90))
	write(t, root, "tiny", []byte("tiny"))
	fixDirTimes(t, root)
	return root
}

func sorted(reqs []string) []string {
	out := slices.Clone(reqs)
	sort.Strings(out)
	return out
}

func TestUnchangedRerunSendsNothing(t *testing.T) {
	root := deepTree(t)
	g, c := newFakeGrid(), newFakeCache()
	cap1, st1 := backup(t, g, c, testOptions(root))
	first := g.requests()
	// 6 files > 55 bytes; dirs c, b, a, z, root and the wrapper.
	if count(first, "put") != 6 || count(first, "mkdir") != 6 {
		t.Errorf("first run requests %v", first)
	}
	if st1.FilesUploaded != 6 || st1.FilesLIT != 1 || st1.DirsCreated != 6 {
		t.Errorf("first run stats %+v", st1)
	}

	for _, cache := range []*fakeCache{c, c.reopen()} {
		cap2, st2 := backup(t, g, cache, testOptions(root))
		if reqs := g.requests(); len(reqs) != 0 {
			t.Errorf("unchanged rerun sent %v", reqs)
		}
		if cap2 != cap1 {
			t.Error("unchanged rerun gave another root cap")
		}
		if st2.FilesReused != 6 || st2.DirsReused != 6 || st2.FilesUploaded != 0 || st2.DirsCreated != 0 {
			t.Errorf("rerun stats %+v", st2)
		}
	}
}

func TestTouchOneFile(t *testing.T) {
	root := deepTree(t)
	g, c := newFakeGrid(), newFakeCache()
	cap1, _ := backup(t, g, c, testOptions(root))
	g.requests()

	setTime(t, filepath.Join(root, "a/b/c/leaf.txt"), baseTime.Add(time.Second))
	cap2, st := backup(t, g, c, testOptions(root))
	reqs := g.requests()
	// The file, then c, b, a, the root and the wrapper.
	want := []string{"mkdir 1", "mkdir 2", "mkdir 2", "mkdir 2", "mkdir 4"}
	if count(reqs, "put") != 1 || !reflect.DeepEqual(sorted(reqs[1:]), want) {
		t.Errorf("requests %v, want one put and %v", reqs, want)
	}
	if cap2 == cap1 || st.FilesUploaded != 1 || st.FilesReused != 5 || st.DirsCreated != 5 || st.DirsReused != 1 {
		t.Errorf("cap changed %v, stats %+v", cap2 != cap1, st)
	}
}

func TestRenameChangesDirectory(t *testing.T) {
	root := deepTree(t)
	g, c := newFakeGrid(), newFakeCache()
	backup(t, g, c, testOptions(root))
	g.requests()

	// mv keeps content, mode and mtime; only the name differs.
	mustDo(t, os.Rename(filepath.Join(root, "z/z.dat"), filepath.Join(root, "z/renamed.dat")))
	setTime(t, filepath.Join(root, "z"), baseTime)
	cap2, _ := backup(t, g, c, testOptions(root))
	reqs := g.requests()
	// The file's key holds its path, so it is sent again (same cap); z, the
	// root and the wrapper are new directories.
	if count(reqs, "put") != 1 || count(reqs, "mkdir") != 3 {
		t.Errorf("requests %v", reqs)
	}
	z, _ := g.dir(child(t, g, cap2, "backup.1", "z").Cap)
	if got := keys(z); !reflect.DeepEqual(got, []string{"renamed.dat"}) {
		t.Errorf("z lists %q after the rename", got)
	}
}

func TestSameChildrenDifferentNames(t *testing.T) {
	// The original tool gave these two directories one dircap.
	root := t.TempDir()
	write(t, root, "p/__init__.py", nil)
	write(t, root, "q/.keep", nil)
	fixDirTimes(t, root)
	g := newFakeGrid()
	cap, _ := backup(t, g, newFakeCache(), testOptions(root))
	p := child(t, g, cap, "backup.1", "p")
	q := child(t, g, cap, "backup.1", "q")
	if p.Cap == q.Cap {
		t.Fatal("directories with different child names share a cap")
	}
	if d, _ := g.dir(q.Cap); !reflect.DeepEqual(keys(d), []string{".keep"}) {
		t.Errorf("q lists %q", keys(d))
	}
}

func TestVanishedFileIsSkipped(t *testing.T) {
	root := deepTree(t)
	entries := walkTree(t, root)
	mustDo(t, os.Remove(filepath.Join(root, "a/b/sib.dat")))
	mustDo(t, os.Remove(filepath.Join(root, "tiny")))
	g, c := newFakeGrid(), newFakeCache()
	u := newUploader(t, g, c, testOptions(root))
	cap, st, err := u.Run(t.Context(), &sliceEntries{es: entries})
	if err != nil {
		t.Fatal(err)
	}
	if st.Skipped != 2 || st.Failed != 0 || !st.Incomplete() {
		t.Errorf("stats %+v", st)
	}
	paths := []string{st.Problems[0].Path, st.Problems[1].Path}
	sort.Strings(paths)
	if !reflect.DeepEqual(paths, []string{"a/b/sib.dat", "tiny"}) || st.Problems[0].Kind != ProblemSkipped {
		t.Errorf("problems %+v", st.Problems)
	}
	b, _ := g.dir(child(t, g, cap, "backup.1", "a", "b").Cap)
	if !reflect.DeepEqual(keys(b), []string{"c"}) {
		t.Errorf("a/b lists %q", keys(b))
	}
}

func TestFileReplacedByDirectoryIsSkipped(t *testing.T) {
	root := deepTree(t)
	entries := walkTree(t, root)
	mustDo(t, os.Remove(filepath.Join(root, "top.dat")))
	mustDo(t, os.Mkdir(filepath.Join(root, "top.dat"), 0o755))
	_, st, err := newUploader(t, newFakeGrid(), newFakeCache(), testOptions(root)).
		Run(t.Context(), &sliceEntries{es: entries})
	if err != nil || st.Skipped != 1 || !strings.Contains(st.Problems[0].Reason, "changed type") {
		t.Errorf("err %v, stats %+v", err, st)
	}
}

// failingFS makes named files unreadable: at open, or after some bytes.
func failingFS(root string, openFail map[string]error, readFail map[string]error) sourceFS {
	fs := osFS
	fs.open = func(e entryAt, want *unix.Stat_t) (io.ReadCloser, error) {
		if err := openFail[e.rel]; err != nil {
			return nil, &os.PathError{Op: "open", Path: root + "/" + e.rel, Err: err}
		}
		f, err := osFS.open(e, want)
		if err != nil || readFail[e.rel] == nil {
			return f, err
		}
		return &failAfter{ReadCloser: f, left: 100, err: readFail[e.rel]}, nil
	}
	return fs
}

type failAfter struct {
	io.ReadCloser
	left int
	err  error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.left == 0 {
		return 0, f.err
	}
	if len(p) > f.left {
		p = p[:f.left]
	}
	n, err := f.ReadCloser.Read(p)
	f.left -= n
	return n, err
}

func TestUnreadableFilesFail(t *testing.T) {
	root := deepTree(t)
	g := newFakeGrid()
	u := newUploader(t, g, newFakeCache(), testOptions(root))
	u.fs = failingFS(root,
		map[string]error{"top.dat": syscall.EACCES, "tiny": syscall.EACCES},
		map[string]error{"a/b/c/leaf.txt": syscall.EIO, "a/b/c/other.dat": syscall.EIO})
	cap, st, err := u.Run(t.Context(), &sliceEntries{es: walkTree(t, root)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Failed != 4 || st.Skipped != 0 {
		t.Errorf("stats %+v", st)
	}
	for _, p := range st.Problems {
		if p.Kind != ProblemFailed || strings.Contains(p.Reason, root) {
			t.Errorf("problem %+v (reasons must not carry the absolute path)", p)
		}
	}
	top, _ := g.dir(child(t, g, cap, "backup.1").Cap)
	if !reflect.DeepEqual(keys(top), []string{"a", "z"}) {
		t.Errorf("root lists %q", keys(top))
	}
	c, _ := g.dir(child(t, g, cap, "backup.1", "a", "b", "c").Cap)
	if len(c) != 0 {
		t.Errorf("a/b/c lists %q", keys(c))
	}
}

func TestCompression(t *testing.T) {
	root := t.TempDir()
	orig := text(1 << 20)
	write(t, root, "doc.txt", orig)
	write(t, root, "noise.bin", random(1<<20, 2))
	write(t, root, "doc.dat", orig) // the rules say no
	g, c := newFakeGrid(), newFakeCache()
	cap, st := backup(t, g, c, testOptions(root))

	doc := child(t, g, cap, "backup.1", "doc.txt")
	if doc.Metadata["enc"] != "xz" || doc.Metadata["size"] != fmt.Sprint(len(orig)) {
		t.Fatalf("doc.txt metadata %v", doc.Metadata)
	}
	data, _ := g.content(doc.Cap)
	if len(data) >= len(orig)/3 {
		t.Errorf("compressed to %d of %d bytes", len(data), len(orig))
	}
	if !reflect.DeepEqual(unxz(t, data), orig) {
		t.Error("xz -d does not give the original back")
	}
	for _, name := range []string{"noise.bin", "doc.dat"} {
		if ch := child(t, g, cap, "backup.1", name); ch.Metadata["enc"] != nil {
			t.Errorf("%s was compressed", name)
		}
	}
	if st.CompressedIn != int64(len(orig)) || st.CompressedOut != int64(len(data)) {
		t.Errorf("compression stats %d -> %d", st.CompressedIn, st.CompressedOut)
	}
	// The probe's verdict is kept with the cache row.
	var probes []float64
	for _, row := range c.committed {
		if !row.dir && row.Probe != 0 {
			probes = append(probes, row.Probe)
		}
	}
	sort.Float64s(probes)
	if len(probes) != 2 || probes[0] > 0.5 || probes[1] < 0.9 {
		t.Errorf("probe ratios in the cache %v", probes)
	}
}

func TestAdapterRetryReopens(t *testing.T) {
	root := t.TempDir()
	write(t, root, "doc.txt", text(200<<10))
	write(t, root, "plain.dat", text(2000))
	g := newFakeGrid()
	g.retries = 2
	cap, st := backup(t, g, newFakeCache(), testOptions(root))
	doc := child(t, g, cap, "backup.1", "doc.txt")
	data, _ := g.content(doc.Cap)
	if !reflect.DeepEqual(unxz(t, data), text(200<<10)) {
		t.Error("content wrong after retries")
	}
	if st.CompressedIn != 200<<10 {
		t.Errorf("CompressedIn %d counts more than the final attempt", st.CompressedIn)
	}
}

func TestFileChangingWhileRead(t *testing.T) {
	for _, tc := range []struct {
		name    string
		changes int // PutFile calls during which the file changes
		puts    int
		changed int64
	}{
		{"once", 1, 2, 0},
		{"always", 99, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, "log.dat")
			write(t, root, "log.dat", text(1000))
			g, c := newFakeGrid(), newFakeCache()
			g.onPut = func(_ context.Context, n int, _ []byte) error {
				if n <= tc.changes { // append while "reading"
					f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
					mustDo(t, err)
					_, err = f.WriteString("more\n")
					mustDo(t, err)
					mustDo(t, f.Close())
				}
				return nil
			}
			cap, st := backup(t, g, c, testOptions(root))
			if got := count(g.requests(), "put"); got != tc.puts {
				t.Errorf("%d puts, want %d", got, tc.puts)
			}
			if st.Changed != tc.changed || st.Incomplete() != (tc.changed > 0) {
				t.Errorf("stats %+v", st)
			}
			ch := child(t, g, cap, "backup.1", "log.dat")
			data, _ := g.content(ch.Cap)
			if ch.Metadata["size"] != fmt.Sprint(len(data)) {
				t.Errorf("size %v, content %d bytes", ch.Metadata["size"], len(data))
			}
			g.onPut = nil
			backup(t, g, c, testOptions(root))
			// A file that kept changing is not in the cache: read again.
			if got := count(g.requests(), "put"); got != int(tc.changed) {
				t.Errorf("rerun: %d puts, want %d", got, tc.changed)
			}
		})
	}
}

func TestCancelThenResume(t *testing.T) {
	root := t.TempDir()
	for i := range 30 {
		write(t, root, fmt.Sprintf("d%d/f%02d.dat", i%3, i), text(100+i))
	}
	fixDirTimes(t, root)
	g, c := newFakeGrid(), newFakeCache()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	g.onPut = func(ctx context.Context, n int, _ []byte) error {
		if n == 10 {
			cancel()
			return ctx.Err()
		}
		return nil
	}
	opts := testOptions(root)
	opts.Jobs = 1
	u := newUploader(t, g, c, opts)
	_, st, err := u.Run(ctx, &sliceEntries{es: walkTree(t, root)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v", err)
	}
	if st.FilesUploaded != 9 {
		t.Errorf("stats %+v", st)
	}

	g.onPut = nil
	g.requests()
	fresh := newFakeGrid()
	fresh.files, fresh.dirs = g.files, g.dirs
	_, st2 := backup(t, fresh, c.reopen(), opts)
	if got := count(fresh.requests(), "put"); got != 21 || st2.FilesReused != 9 {
		t.Errorf("resume: %d puts, stats %+v; want 21 puts", got, st2)
	}
	// The resumed tree equals an uninterrupted backup.
	want, _ := backup(t, newFakeGrid(), newFakeCache(), opts)
	got, _ := backup(t, fresh, c.reopen(), opts)
	if got != want {
		t.Error("resumed backup differs from an uninterrupted one")
	}
}

func TestGridErrorEndsRun(t *testing.T) {
	root := deepTree(t)
	g := newFakeGrid()
	boom := errors.New("not enough storage servers")
	g.onPut = func(context.Context, int, []byte) error { return boom }
	_, _, err := newUploader(t, g, newFakeCache(), testOptions(root)).
		Run(t.Context(), &sliceEntries{es: walkTree(t, root)})
	if !errors.Is(err, boom) {
		t.Errorf("Run: %v", err)
	}
}

func TestTrustWindow(t *testing.T) {
	root := deepTree(t)
	g, c := newFakeGrid(), newFakeCache()
	now := baseTime.Add(time.Hour) // the files' mtime is baseTime: not racy
	c.now = func() time.Time { return now }
	opts := testOptions(root)
	opts.TrustWindow = 25 * 24 * time.Hour
	opts.Now = func() time.Time { return now }
	cap1, _ := backup(t, g, c, opts)
	g.requests()

	now = now.Add(24 * time.Hour) // within the window
	backup(t, g, c, opts)
	if reqs := g.requests(); len(reqs) != 0 {
		t.Errorf("inside the window: %v", reqs)
	}

	now = now.Add(30 * 24 * time.Hour)
	leaf := child(t, g, cap1, "backup.1", "a", "b", "c", "leaf.txt").Cap
	g.healthy = func(cap string) bool { return cap != leaf }
	cap2, st := backup(t, g, c, opts)
	reqs := g.requests()
	// 6 files and 6 directories are checked; the sick file is sent again.
	if count(reqs, "renew") != 12 || count(reqs, "put") != 1 || count(reqs, "mkdir") != 0 {
		t.Errorf("stale rows: %v", reqs)
	}
	if cap2 != cap1 || st.Renewed != 11 || st.FilesUploaded != 1 {
		t.Errorf("stats %+v", st)
	}

	backup(t, g, c, opts) // renewed rows are fresh again
	if reqs := g.requests(); len(reqs) != 0 {
		t.Errorf("after renewal: %v", reqs)
	}
}

func TestDisableDedup(t *testing.T) {
	root := deepTree(t)
	g, c := newFakeGrid(), newFakeCache()
	cap1, _ := backup(t, g, c, testOptions(root))
	g.requests()
	opts := testOptions(root)
	opts.DisableDedup = true
	cap2, st := backup(t, g, c, opts)
	reqs := g.requests()
	if count(reqs, "put") != 6 || count(reqs, "mkdir") != 6 || cap2 != cap1 || st.FilesReused != 0 {
		t.Errorf("requests %v, stats %+v", reqs, st)
	}
	if c.puts != 24 {
		t.Errorf("cache puts %d, want 24 (still recorded)", c.puts)
	}
}

func TestSourcePatternSeparatesCaches(t *testing.T) {
	root := deepTree(t)
	g, c := newFakeGrid(), newFakeCache()
	backup(t, g, c, testOptions(root))
	g.requests()
	opts := testOptions(root)
	opts.SourcePattern = "/srv/other"
	backup(t, g, c, opts)
	if reqs := g.requests(); count(reqs, "put") != 6 {
		t.Errorf("another source reused caps: %v", reqs)
	}
	// The root is in no key: another snapshot of the same source dedups.
	snap2 := t.TempDir()
	mustDo(t, os.CopyFS(snap2, os.DirFS(root)))
	copyTimes(t, root, snap2)
	opts = testOptions(snap2)
	opts.Name = "backup.2"
	backup(t, g, c, opts)
	if reqs := g.requests(); count(reqs, "put") != 0 || count(reqs, "mkdir") != 1 {
		t.Errorf("next snapshot: %v, want only the new wrapper", reqs)
	}
}

func copyTimes(t *testing.T, from, to string) {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, rel)
			return nil
		}
		setTime(t, filepath.Join(to, rel), fi.ModTime())
		return nil
	})
	mustDo(t, err)
	for i := len(dirs) - 1; i >= 0; i-- {
		fi, err := os.Stat(filepath.Join(from, dirs[i]))
		mustDo(t, err)
		setTime(t, filepath.Join(to, dirs[i]), fi.ModTime())
	}
}

func TestEmptyRoot(t *testing.T) {
	root := t.TempDir()
	g := newFakeGrid()
	opts := testOptions(root)
	opts.Name = ""
	cap, _ := backup(t, g, newFakeCache(), opts)
	ch := child(t, g, cap, "root")
	if ch.Cap != "URI:DIR2-LIT:" || ch.Metadata[treeformat.FormatKey] != treeformat.FormatVersion {
		t.Errorf("wrapper child %+v", ch)
	}
}

func TestMalformedStreams(t *testing.T) {
	root := deepTree(t)
	good := walkTree(t, root)
	rootEntry := good[len(good)-1]
	for _, tc := range []struct {
		name string
		es   []Entry
		want string
	}{
		{"no root", good[:len(good)-1], "before the root"},
		{"after root", append(slices.Clone(good), Entry{Path: "late", Meta: good[0].Meta}), "after the root"},
		{"child after parent", append(slices.Clone(good[:len(good)-1]), good[0], rootEntry), "after its parent"},
		{"absolute", []Entry{{Path: "/etc", Meta: good[0].Meta}, rootEntry}, "bad path"},
		{"dotdot", []Entry{{Path: "../x", Meta: good[0].Meta}, rootEntry}, "bad path"},
		{"root not dir", []Entry{{Path: "", Meta: good[0].Meta}}, "not a directory"},
		{"duplicate", append([]Entry{good[0]}, good...), "duplicate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := newUploader(t, newFakeGrid(), newFakeCache(), testOptions(root)).
				Run(t.Context(), &sliceEntries{es: tc.es})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestWindowBoundsPending(t *testing.T) {
	root := t.TempDir()
	for i := range 200 {
		write(t, root, fmt.Sprintf("d%02d/f%03d.dat", i%20, i), text(100+i))
	}
	opts := testOptions(root)
	opts.Jobs, opts.Window = 2, 5
	want, _ := backup(t, newFakeGrid(), newFakeCache(), testOptions(root))
	u := newUploader(t, newFakeGrid(), newFakeCache(), opts)
	got, st, err := u.Run(t.Context(), &sliceEntries{es: walkTree(t, root)})
	mustDo(t, err)
	if got != want || st.FilesUploaded != 200 {
		t.Errorf("small window: same cap %v, stats %+v", got == want, st)
	}
	if peak := u.cur.Load().peakPending; peak > opts.Window {
		t.Errorf("%d entries unfinished at once, window %d", peak, opts.Window)
	}
}

func TestIdenticalContentNotUploadedConcurrently(t *testing.T) {
	root := t.TempDir()
	for i := range 16 {
		write(t, root, fmt.Sprintf("d%02d/LICENSE", i), text(3000))
		write(t, root, fmt.Sprintf("d%02d/doc.txt", i), text(70<<10))
	}
	fixDirTimes(t, root) // the 16 directories are identical too
	opts := testOptions(root)
	opts.Jobs = 8
	g := newFakeGrid()
	_, st := backup(t, g, newFakeCache(), opts)
	if st.FilesUploaded != 32 || st.DirsCreated != 3 || st.DirsReused != 15 {
		t.Errorf("stats %+v", st)
	}
}

func TestOddNames(t *testing.T) {
	root := t.TempDir()
	raws := []string{"bad\xff", `bad\xff`, "\u00e9.txt", "e\u0301.txt", "a\nb", " lead and trail "}
	for _, name := range raws {
		write(t, root, name, []byte("content of "+name))
	}
	fixDirTimes(t, root)
	g := newFakeGrid()
	cap, st := backup(t, g, newFakeCache(), testOptions(root))
	if st.Incomplete() {
		t.Fatalf("stats %+v", st)
	}
	d, _ := g.dir(child(t, g, cap, "backup.1").Cap)
	want := map[string]string{ // on-grid name -> raw name when rawname is expected
		`bad\xff`:          "",
		`bad\xff~1`:        "bad\xff",
		"\u00e9.txt":       "",
		"\u00e9~1.txt":     "e\u0301.txt",
		"a\nb":             "",
		" lead and trail ": "",
	}
	if !reflect.DeepEqual(keys(d), sortedKeys(want)) {
		t.Fatalf("names %q, want %q", keys(d), sortedKeys(want))
	}
	for name, raw := range want {
		rn, has := d[name].Metadata["rawname"]
		switch {
		case raw == "" && has:
			t.Errorf("%q has rawname", name)
		case raw != "" && rn != b64(raw):
			t.Errorf("%q: rawname %v, want base64 of %q", name, rn, raw)
		}
		data, _ := g.content(d[name].Cap)
		if r := map[bool]string{true: name, false: raw}[raw == ""]; string(data) != "content of "+r {
			t.Errorf("%q holds %q", name, data)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A file larger than one block goes up as independent xz blocks
// compressed on every core: one standard stream that xz -d and restore's
// reader decode, the same bytes whatever the number of cores.
func TestCompressionInBlocks(t *testing.T) {
	root := t.TempDir()
	orig := text(3*parallelMin + 5)
	write(t, root, "big.txt", orig)
	g := newFakeGrid()
	cap, st := backup(t, g, newFakeCache(), testOptions(root))
	big := child(t, g, cap, "backup.1", "big.txt")
	data, _ := g.content(big.Cap)
	if big.Metadata["enc"] != "xz" || len(data) >= len(orig)/3 || st.CompressedIn != int64(len(orig)) {
		t.Fatalf("big.txt: metadata %v, %d bytes for %d", big.Metadata, len(data), len(orig))
	}
	if !reflect.DeepEqual(unxz(t, data), orig) {
		t.Error("xz -d does not give the original back")
	}
	xr, err := xz.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(xr); err != nil || !bytes.Equal(got, orig) {
		t.Errorf("ulikunitz/xz (restore's reader) read %d bytes, %v", len(got), err)
	}
	f := filepath.Join(t.TempDir(), "big.xz")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("xz", "--list", "--robot", f).Output(); err == nil && !strings.Contains(string(out), "\n"+"file\t1\t4\t") {
		t.Errorf("xz --list: want one stream of 4 blocks:\n%s", out)
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	if again, _ := backup(t, newFakeGrid(), newFakeCache(), testOptions(root)); again != cap {
		t.Error("one core gave other bytes than several")
	}
}
