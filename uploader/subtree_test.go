package uploader

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// subtreeTree is deepTree with a symlink, a file of at most 55 bytes deep
// down and a hardlink from inside a/b to outside it.
func subtreeTree(t *testing.T) string {
	t.Helper()
	root := deepTree(t)
	write(t, root, "a/b/c/small", []byte("at most 55 bytes"))
	if err := os.Symlink("../top.dat", filepath.Join(root, "a", "link")); err != nil {
		t.Fatal(err)
	}
	setTime(t, filepath.Join(root, "a", "link"), baseTime)
	// Names descend in the stream: "hard" comes before everything in "a",
	// so a/b/sib.dat's edge points out of a/b at it; z/z.dat comes before
	// "y-link", whose edge points into z (reused whole when only a changed).
	for _, l := range [][2]string{{"a/b/sib.dat", "hard"}, {"z/z.dat", "y-link"}} {
		if err := os.Link(filepath.Join(root, l[0]), filepath.Join(root, l[1])); err != nil {
			t.Fatal(err)
		}
	}
	fixDirTimes(t, root)
	return root
}

// settled is a WalkStarted after everything in a tree just written plus
// RacyMargin: as if the walk came a while after the last change.
func settled() time.Time { return time.Now().Add(RacyMargin + time.Second) }

// countingFS counts phase two's lstat calls by path relative to root.
type countingFS struct {
	mu     sync.Mutex
	lstats []string
}

func (c *countingFS) wrap() sourceFS {
	fs := osFS
	fs.lstat = func(e entryAt, st *unix.Stat_t) error {
		c.mu.Lock()
		c.lstats = append(c.lstats, e.rel)
		c.mu.Unlock()
		return osFS.lstat(e, st)
	}
	return fs
}

// skippingEntries can pass over entries, as queue.Reader can.
type skippingEntries struct {
	sliceEntries
	skipped int64
}

func (s *skippingEntries) Skip(n int64) error {
	if int64(len(s.es)-s.i) < n {
		return errors.New("skip past the end")
	}
	s.i += int(n)
	s.skipped += n
	return nil
}

// lastSkipped is how many entries the last runFrom's second pass skipped.
var lastSkipped int64

// runFrom backs up root's current state with RunFrom over two walks of
// the same entries; the second can Skip.
func runFrom(t *testing.T, g Grid, c Cache, opts Options, fs *countingFS) (string, Stats) {
	t.Helper()
	u := newUploader(t, g, c, opts)
	if fs != nil {
		u.fs = fs.wrap()
	}
	es := walkTree(t, opts.Root)
	opens := 0
	second := &skippingEntries{sliceEntries: sliceEntries{es: es}}
	cap, st, err := u.RunFrom(context.Background(), func() (Entries, error) {
		opens++
		if opens == 2 || opts.WalkStarted.IsZero() || opts.DisableDedup {
			return second, nil
		}
		return &sliceEntries{es: es}, nil
	})
	if err != nil {
		t.Fatalf("RunFrom: %v", err)
	}
	if want := 2; opts.WalkStarted.IsZero() || opts.DisableDedup {
		want = 1
		if opens != want {
			t.Errorf("entries opened %d times, want %d", opens, want)
		}
	} else if opens != want {
		t.Errorf("entries opened %d times, want %d", opens, want)
	}
	lastSkipped = second.skipped
	return cap, st
}

// freshCap is the wrapper cap of a backup of root built from nothing
// (empty cache, new grid): what any reuse must give.
func freshCap(t *testing.T, opts Options) string {
	t.Helper()
	opts.WalkStarted = time.Time{}
	cap, _ := backup(t, newFakeGrid(), newFakeCache(), opts)
	return cap
}

func TestSubtreeUnchangedRerun(t *testing.T) {
	root := subtreeTree(t)
	opts := testOptions(root)
	opts.WalkStarted = settled()
	g, c := newFakeGrid(), newFakeCache()
	cap1, st1 := runFrom(t, g, c, opts, nil)
	if st1.SubtreesRecorded != 5 { // root, a, a/b, a/b/c, z
		t.Fatalf("first run recorded %d subtrees, want 5 (stats %+v)", st1.SubtreesRecorded, st1)
	}
	g.requests()
	c = c.reopen()
	fs := &countingFS{}
	cap2, st := runFrom(t, g, c, opts, fs)
	if cap2 != cap1 || cap1 != freshCap(t, opts) {
		t.Fatalf("rerun gave another tree")
	}
	if reqs := g.requests(); len(reqs) != 0 {
		t.Errorf("unchanged rerun sent %q", reqs)
	}
	if len(fs.lstats) != 0 || c.lookups != 1 || c.subLookups != 1 || c.subUses != 1 {
		t.Errorf("unchanged rerun: lstat %q, %d lookups (want the wrapper's alone), %d subtree lookups, %d uses (want 1 and 1)",
			fs.lstats, c.lookups, c.subLookups, c.subUses)
	}
	if n := int64(len(walkTree(t, root))); st.SubtreesReused != 1 || st.Entries != n || st.FilesReused != 11 || st.FilesUploaded != 0 || lastSkipped != n-1 {
		t.Errorf("stats %+v; %d entries skipped, want all but the root's", st, lastSkipped)
	}
}

// A change deep down costs its path to the root: the directories on it
// are built again (their own files stat'ed), every other subtree is
// reused by its key.
func TestSubtreeDeepChange(t *testing.T) {
	root := subtreeTree(t)
	opts := testOptions(root)
	opts.WalkStarted = settled()
	g, c := newFakeGrid(), newFakeCache()
	runFrom(t, g, c, opts, nil)

	write(t, root, "a/b/c/leaf.txt", text(5001))
	fixDirTimes(t, root)
	opts.WalkStarted = settled()
	g.requests()
	c = c.reopen()
	fs := &countingFS{}
	cap, st := runFrom(t, g, c, opts, fs)
	if cap != freshCap(t, opts) {
		t.Fatal("the tree built with reused subtrees differs from one built from nothing")
	}
	onPath := map[string]bool{"": true, "a": true, "a/b": true, "a/b/c": true}
	for _, p := range fs.lstats {
		if parent, _ := splitPath(p); !onPath[parent] {
			t.Errorf("stat'ed %s, outside the changed path", p)
		}
	}
	// c, b, a, root, the wrapper, and the changed file (compressed).
	if got, want := sorted(g.requests()), []string{"mkdir 1", "mkdir 2", "mkdir 3", "mkdir 3", "mkdir 6", "put 164"}; !reflect.DeepEqual(got, want) {
		t.Errorf("requests %q, want %q", got, want)
	}
	// Reused whole: z (beside the path); a/b's and a's files are stat'ed.
	if st.SubtreesReused != 1 || st.SubtreesRecorded != 4 {
		t.Errorf("%d subtrees reused, %d recorded; want 1 (z) and 4 (the path)", st.SubtreesReused, st.SubtreesRecorded)
	}
}

// Entries changed within RacyMargin of the walk are not trusted: no
// subtree holding one is recorded, the others are.
func TestSubtreeRacyNotRecorded(t *testing.T) {
	root := subtreeTree(t)
	opts := testOptions(root)
	opts.WalkStarted = time.Now() // everything was written just now
	_, st := runFrom(t, newFakeGrid(), newFakeCache(), opts, nil)
	if st.SubtreesRecorded != 0 {
		t.Errorf("recorded %d subtrees of a tree changed just before the walk", st.SubtreesRecorded)
	}
	// Only z/z.dat old enough: z is recorded, nothing above it.
	opts.WalkStarted = settled()
	es := walkTree(t, root)
	for i := range es {
		if es[i].Path != "z/z.dat" && es[i].Path != "z" {
			es[i].Meta.CtimeNs = opts.WalkStarted.UnixNano() - int64(time.Second)
		}
	}
	u := newUploader(t, newFakeGrid(), newFakeCache(), opts)
	_, st, err := u.Run(context.Background(), &sliceEntries{es: es})
	if err != nil {
		t.Fatal(err)
	}
	if st.SubtreesRecorded != 1 {
		t.Errorf("recorded %d subtrees, want 1 (z)", st.SubtreesRecorded)
	}
}

// An entry that changed between the walk and phase two, or a problem with
// one, keeps its directories from being recorded; the next run looks at
// them again and reports the problem again.
func TestSubtreeNotRecordedWithChangesOrProblems(t *testing.T) {
	root := subtreeTree(t)
	opts := testOptions(root)
	opts.WalkStarted = settled()
	es := walkTree(t, root)
	write(t, root, "a/b/c/other.dat", text(3001)) // after the walk
	c := newFakeCache()
	u := newUploader(t, newFakeGrid(), c, opts)
	u.fs = failingFS(root, map[string]error{"z/z.dat": syscall.EACCES}, nil)
	_, st, err := u.Run(context.Background(), &sliceEntries{es: es})
	if err != nil {
		t.Fatal(err)
	}
	if st.SubtreesRecorded != 0 || st.Failed != 1 {
		t.Errorf("recorded %d subtrees (want none: z failed, a/b/c changed), failed %d", st.SubtreesRecorded, st.Failed)
	}
	c = c.reopen()
	u = newUploader(t, newFakeGrid(), c, opts)
	u.fs = failingFS(root, map[string]error{"z/z.dat": syscall.EACCES}, nil)
	_, st, err = u.RunFrom(context.Background(), func() (Entries, error) { return &sliceEntries{es: walkTree(t, root)}, nil })
	if err != nil {
		t.Fatal(err)
	}
	if st.Failed != 1 || st.SubtreesReused != 0 {
		t.Errorf("rerun: failed %d (want the same file again), %d subtrees reused", st.Failed, st.SubtreesReused)
	}
}

// A subtree row older than the trust window is not reused: its objects
// are checked one by one as their own rows say, and it is recorded anew.
func TestSubtreeTrustWindow(t *testing.T) {
	root := subtreeTree(t)
	opts := testOptions(root)
	opts.WalkStarted = settled()
	opts.TrustWindow = 24 * time.Hour
	g, c := newFakeGrid(), newFakeCache()
	runFrom(t, g, c, opts, nil)
	later := time.Now().Add(48 * time.Hour)
	opts.Now = func() time.Time { return later }
	g.requests()
	c = c.reopen()
	c.now = opts.Now
	_, st := runFrom(t, g, c, opts, nil)
	if st.SubtreesReused != 0 || st.Renewed == 0 || st.SubtreesRecorded != 5 {
		t.Errorf("stale rows: %d subtrees reused, %d renewed, %d recorded; want 0, some, 5", st.SubtreesReused, st.Renewed, st.SubtreesRecorded)
	}
	g.requests()
	c = c.reopen()
	c.now = opts.Now // renewals happen on the test's clock
	_, st = runFrom(t, g, c, opts, nil)
	if reqs := g.requests(); st.SubtreesReused != 1 || len(reqs) != 0 {
		t.Errorf("after renewal: %d subtrees reused, requests %q", st.SubtreesReused, reqs)
	}
}

// Without WalkStarted (a reused queue) nothing is recorded or skipped; with
// DisableDedup nothing is looked up but subtrees are still recorded.
func TestSubtreeOff(t *testing.T) {
	root := subtreeTree(t)
	opts := testOptions(root)
	c := newFakeCache()
	_, st := runFrom(t, newFakeGrid(), c, opts, nil)
	if st.SubtreesRecorded != 0 || c.subLookups != 0 {
		t.Errorf("without WalkStarted: %d recorded, %d looked up", st.SubtreesRecorded, c.subLookups)
	}
	opts.WalkStarted, opts.DisableDedup = settled(), true
	_, st = runFrom(t, newFakeGrid(), c, opts, nil)
	if st.SubtreesRecorded != 5 || c.subLookups != 0 || st.SubtreesReused != 0 {
		t.Errorf("DisableDedup: %d recorded, %d looked up, %d reused", st.SubtreesRecorded, c.subLookups, st.SubtreesReused)
	}
}

// The second pass must see the entries the first saw: a reused subtree
// at another path, or a stream that ends early, is an error.
func TestSubtreeEntriesChangedBetweenPasses(t *testing.T) {
	root := subtreeTree(t)
	opts := testOptions(root)
	opts.WalkStarted = settled()
	g, c := newFakeGrid(), newFakeCache()
	runFrom(t, g, c, opts, nil)
	write(t, root, "top.dat", text(401)) // the root changes, z is reused whole
	opts.WalkStarted = settled()
	first := walkTree(t, root)
	renamed := walkTree(t, root)
	for i := range renamed {
		if p, ok := strings.CutPrefix(renamed[i].Path, "z"); ok {
			renamed[i].Path = "y" + p
		}
	}
	short := walkTree(t, root)
	short = append(short[:1], short[2:]...)
	for _, second := range [][]Entry{renamed, short} {
		n := 0
		u := newUploader(t, g, c.reopen(), opts)
		_, _, err := u.RunFrom(context.Background(), func() (Entries, error) {
			n++
			if n == 1 {
				return &sliceEntries{es: first}, nil
			}
			return &sliceEntries{es: second}, nil
		})
		if !errors.Is(err, errPassesDiffer) {
			t.Errorf("RunFrom = %v, want %v", err, errPassesDiffer)
		}
	}
}
