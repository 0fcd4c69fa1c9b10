package uploader

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// baseTime is the mtime tests give their trees.
var baseTime = time.Unix(1700000000, 123456789)

type sliceEntries struct {
	es     []Entry
	i      int
	closed bool
}

func (s *sliceEntries) Next() (Entry, error) {
	if s.i == len(s.es) {
		return Entry{}, io.EOF
	}
	s.i++
	return s.es[s.i-1], nil
}

func (s *sliceEntries) Close() error { s.closed = true; return nil }

// walkTree returns the entries under root in phase-one order: a post-order
// walk visiting names in descending byte order, so children come before
// their parent and the root "" is last.
func walkTree(t *testing.T, root string) []Entry {
	t.Helper()
	var out []Entry
	var visit func(rel string)
	visit = func(rel string) {
		abs := root
		if rel != "" {
			abs = root + "/" + rel
		}
		var st unix.Stat_t
		if err := unix.Lstat(abs, &st); err != nil {
			t.Fatal(err)
		}
		m := fsmeta.FromStat(&st)
		if m.Type == fsmeta.TypeDir {
			names := readNames(t, abs)
			sort.Sort(sort.Reverse(sort.StringSlice(names)))
			for _, name := range names {
				if rel == "" {
					visit(name)
				} else {
					visit(rel + "/" + name)
				}
			}
		}
		out = append(out, Entry{Path: rel, Meta: m})
	}
	visit("")
	return out
}

func readNames(t *testing.T, dir string) []string {
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// write creates a file (and its parents) with fixed mtime and mode 0644.
func write(t *testing.T, root, rel string, data []byte) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	setTime(t, p, baseTime)
}

func setTime(t *testing.T, p string, tm time.Time) {
	t.Helper()
	ts := []unix.Timespec{unix.NsecToTimespec(tm.UnixNano()), unix.NsecToTimespec(tm.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		t.Fatal(err)
	}
}

// fixDirTimes gives every directory under root (and root) baseTime, deepest
// first, after the tree was built.
func fixDirTimes(t *testing.T, root string) {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		setTime(t, dirs[i], baseTime)
	}
}

func text(n int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString("The quick brown fox jumps over the lazy dog, line ")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString("\n")
	}
	return []byte(b.String()[:n])
}

func random(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// testOptions are the options tests start from. Their clock runs
// RacyMargin and a second ahead, as if phase two came a while after the
// test wrote its tree (files changed just now are not cached: racy.go);
// tests of that rule set Now to time.Now.
func testOptions(root string) Options {
	return Options{
		Now:           func() time.Time { return time.Now().Add(RacyMargin + time.Second) },
		Root:          root,
		Name:          "backup.1",
		SourcePattern: "/srv/backups/backup.*",
		Jobs:          4,
		Compress: func(rel string, size int64) bool {
			return strings.HasSuffix(rel, ".txt") || strings.HasSuffix(rel, ".bin")
		},
	}
}

func newUploader(t *testing.T, g Grid, c Cache, opts Options) *Uploader {
	t.Helper()
	u, err := New(g, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// backup runs one backup of root's current state and fails the test on
// error.
func backup(t *testing.T, g Grid, c Cache, opts Options) (string, Stats) {
	t.Helper()
	u := newUploader(t, g, c, opts)
	entries := &sliceEntries{es: walkTree(t, opts.Root)}
	cap, st, err := u.Run(context.Background(), entries)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !entries.closed {
		t.Error("Run did not close the entries")
	}
	return cap, st
}

// dump renders the tree under a wrapper cap as JSON-able values: each node
// with its type, metadata, and children or content cap.
func dump(t *testing.T, g *fakeGrid, cap string) map[string]any {
	t.Helper()
	d, ok := g.dir(cap)
	if !ok {
		t.Fatalf("no directory for cap %q", cap)
	}
	out := map[string]any{}
	for name, c := range d {
		node := map[string]any{"metadata": c.Metadata}
		if c.Dir {
			node["type"] = "dirnode"
			node["children"] = dump(t, g, c.Cap)
		} else {
			node["type"] = "filenode"
			node["ro_uri"] = c.Cap
		}
		out[name] = node
	}
	return out
}

// child walks a wrapper cap down a path of raw names: a child matches by
// its rawname metadata, or by its on-grid name when it has none.
func child(t *testing.T, g *fakeGrid, cap string, names ...string) Child {
	t.Helper()
	c := Child{Dir: true, Cap: cap}
	for _, name := range names {
		d, ok := g.dir(c.Cap)
		if !ok {
			t.Fatalf("%q: not a directory", name)
		}
		if c, ok = findRaw(d, name); !ok {
			t.Fatalf("no child %q; have %q", name, keys(d))
		}
	}
	return c
}

func findRaw(d map[string]Child, raw string) (Child, bool) {
	for name, c := range d {
		rn, has := c.Metadata["rawname"]
		if has && rn == b64(raw) || !has && name == raw {
			return c, true
		}
	}
	return Child{}, false
}

func keys(d map[string]Child) []string {
	var out []string
	for k := range d {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n%s", path, got)
	}
}
