package uploader

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// rewriteKeepingMtime gives the file at p new content of the same size
// and puts its mtime back (os.Chtimes), as a tool restoring times would:
// only the ctime shows the change.
func rewriteKeepingMtime(t *testing.T, p string, data []byte) {
	t.Helper()
	fi, err := os.Stat(p)
	mustDo(t, err)
	if fi.Size() != int64(len(data)) {
		t.Fatalf("rewrite of %s changes its size", p)
	}
	mustDo(t, os.WriteFile(p, data, 0o644))
	mustDo(t, os.Chtimes(p, fi.ModTime(), fi.ModTime()))
}

// contentOf is the content the backup under cap holds at path.
func contentOf(t *testing.T, g *fakeGrid, cap string, path ...string) []byte {
	t.Helper()
	data, ok := g.content(child(t, g, cap, append([]string{"backup.1"}, path...)...).Cap)
	if !ok {
		t.Fatalf("no content for %v", path)
	}
	return data
}

// TestRacyRewriteIsSeen: a file written, backed up at once and rewritten
// within the same second with its size and mtime kept ("racy git",
// issue 14 item 3). Its mtime was not safely older than the moment its
// read began, so the first run uploaded it without recording it, and the
// rerun reads it again: the new content is in the second backup. Before,
// the rerun found size and mtime unchanged and reused the old content.
func TestRacyRewriteIsSeen(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "f.dat")
	old, updated := bytes.Repeat([]byte("a"), 200), bytes.Repeat([]byte("b"), 200)
	mustDo(t, os.WriteFile(p, old, 0o644))
	g, c := newFakeGrid(), newFakeCache()
	opts := testOptions(root)
	opts.Now = time.Now // phase two right after the write
	cap1, st := backup(t, g, c, opts)
	if st.FilesUploaded != 1 || st.FilesTooNew != 1 || c.puts != 2 { // the root and the wrapper
		t.Errorf("first run: %d uploaded, %d too new, %d rows put; want 1, 1 and the 2 directories", st.FilesUploaded, st.FilesTooNew, c.puts)
	}
	rewriteKeepingMtime(t, p, updated)
	cap2, _ := backup(t, g, c, opts)
	if got := contentOf(t, g, cap1, "f.dat"); !bytes.Equal(got, old) {
		t.Errorf("first backup holds %.10q...", got)
	}
	if got := contentOf(t, g, cap2, "f.dat"); !bytes.Equal(got, updated) {
		t.Errorf("second backup holds %.10q..., want the rewritten content", got)
	}
}

// TestCtimeChangeIsSeen: a file old enough to be cached, then rewritten
// with size and mtime kept: its ctime moved, so within the same tree the
// row is not reused and the new content is backed up.
func TestCtimeChangeIsSeen(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "f.dat")
	write(t, root, "f.dat", bytes.Repeat([]byte("a"), 200))
	g, c := newFakeGrid(), newFakeCache()
	opts := testOptions(root) // its clock: the file is older than RacyMargin
	if _, st := backup(t, g, c, opts); st.FilesTooNew != 0 {
		t.Fatalf("first run: %d files too new to cache", st.FilesTooNew)
	}
	updated := bytes.Repeat([]byte("b"), 200)
	rewriteKeepingMtime(t, p, updated)
	cap2, st := backup(t, g, c, opts)
	if got := contentOf(t, g, cap2, "f.dat"); !bytes.Equal(got, updated) || st.FilesReused != 0 {
		t.Errorf("second backup holds %.10q... (%d reused), want the rewritten content", got, st.FilesReused)
	}
}

// TestSettledFileIsReused: a file whose mtime and ctime are older than
// RacyMargin when its read begins is cached, and the rerun reuses it
// without opening it: the rule does not turn caching off.
func TestSettledFileIsReused(t *testing.T) {
	root := t.TempDir()
	write(t, root, "f.dat", bytes.Repeat([]byte("a"), 200))
	mustDo(t, os.WriteFile(filepath.Join(root, "new.dat"), bytes.Repeat([]byte("n"), 200), 0o644))
	g, c := newFakeGrid(), newFakeCache()
	opts := testOptions(root)
	opts.Now = func() time.Time { return time.Now().Add(RacyMargin + 500*time.Millisecond) }
	backup(t, g, c, opts)
	g.requests()
	_, st := backup(t, g, c, opts)
	if reqs := g.requests(); len(reqs) != 0 || st.BytesRead != 0 || st.FilesReused != 2 {
		t.Errorf("rerun: requests %v, %d bytes read, %d reused; want none, 0, 2", reqs, st.BytesRead, st.FilesReused)
	}
}

// TestCtimeNotComparedAcrossTrees: a new snapshot directory whose files
// are hard links of the last one's (rsync --link-dest) has given every
// file a new ctime, but its content is what size and mtime say: every
// file is reused, and so on the rerun of the same snapshot. A change that
// only the ctime shows inside that snapshot is still seen.
func TestCtimeNotComparedAcrossTrees(t *testing.T) {
	base := t.TempDir()
	snap1, snap2 := filepath.Join(base, "snap.1"), filepath.Join(base, "snap.2")
	write(t, snap1, "a.dat", bytes.Repeat([]byte("a"), 200))
	write(t, snap1, "d/b.dat", bytes.Repeat([]byte("b"), 300))
	g, c := newFakeGrid(), newFakeCache()
	backup(t, g, c, testOptions(snap1))
	mustDo(t, os.MkdirAll(filepath.Join(snap2, "d"), 0o755))
	for _, rel := range []string{"a.dat", "d/b.dat"} {
		mustDo(t, os.Link(filepath.Join(snap1, rel), filepath.Join(snap2, rel)))
	}
	fixDirTimes(t, snap2)
	g.requests()
	for run := 1; run <= 2; run++ {
		_, st := backup(t, g, c, testOptions(snap2))
		if reqs := g.requests(); count(reqs, "put") != 0 || st.FilesReused != 2 {
			t.Errorf("snap.2 run %d: requests %v, %d reused; want no put, 2 reused", run, reqs, st.FilesReused)
		}
	}
	updated := bytes.Repeat([]byte("c"), 200)
	rewriteKeepingMtime(t, filepath.Join(snap2, "a.dat"), updated)
	cap, _ := backup(t, g, c, testOptions(snap2))
	if got := contentOf(t, g, cap, "a.dat"); !bytes.Equal(got, updated) {
		t.Errorf("snap.2 holds %.10q... after a change only its ctime shows", got)
	}
}

// TestRowsWithoutSeenAreReused: rows from before the cache remembered
// ctimes (Seen zero) are reused as before, by size and mtime, and
// remember the file from that use on.
func TestRowsWithoutSeenAreReused(t *testing.T) {
	root := t.TempDir()
	write(t, root, "f.dat", bytes.Repeat([]byte("a"), 200))
	g, c := newFakeGrid(), newFakeCache()
	backup(t, g, c, testOptions(root))
	for k, row := range c.committed {
		row.Seen = Seen{}
		c.committed[k] = row
	}
	g.requests()
	if _, st := backup(t, g, c, testOptions(root)); st.FilesReused != 1 || len(g.requests()) != 0 {
		t.Errorf("an old row was not reused: %+v", st)
	}
	n := 0
	for _, row := range c.committed {
		if row.Seen != (Seen{}) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d rows remember their file after the use, want the file's 1", n)
	}
}

func TestNearTo(t *testing.T) {
	const s = int64(time.Second)
	now := int64(1_800_000_000) * s
	for _, tc := range []struct {
		ts   int64
		want bool
	}{
		{now, true},
		{now - 2*s + 1, true},
		{now - 2*s, false},
		{now - 3*s, false},
		{now + 2*s - 1, true}, // a clock a little ahead: could be stamped again now
		{now + 2*s, false},
		{now + 86400*s, false}, // far in the future: a write now would stamp the present
	} {
		if got := nearTo(tc.ts, now); got != tc.want {
			t.Errorf("nearTo(now%+ds) = %v, want %v", (tc.ts-now)/s, got, tc.want)
		}
	}
}

// TestFreshCtimeOldMtime: a snapshot made just now by links or copies of
// older files (rsync --link-dest, cp -a) has old mtimes and fresh ctimes.
// Its files are cached, so the next snapshot (another tree) reuses them,
// even right after it was made; only a rerun in the same tree reads them
// once more, since their ctime was too fresh to remember, and after that
// reuses them too.
func TestFreshCtimeOldMtime(t *testing.T) {
	base := t.TempDir()
	snap1, snap2 := filepath.Join(base, "snap.1"), filepath.Join(base, "snap.2")
	write(t, snap1, "a.dat", bytes.Repeat([]byte("a"), 200)) // mtime baseTime, ctime now
	g, c := newFakeGrid(), newFakeCache()
	now := func(o Options) Options { o.Now = time.Now; return o }
	if _, st := backup(t, g, c, now(testOptions(snap1))); st.FilesTooNew != 0 || st.FilesUploaded != 1 {
		t.Fatalf("first run: %+v", st)
	}
	mustDo(t, os.MkdirAll(snap2, 0o755))
	mustDo(t, os.Link(filepath.Join(snap1, "a.dat"), filepath.Join(snap2, "a.dat")))
	fixDirTimes(t, snap2)
	g.requests()
	if _, st := backup(t, g, c, now(testOptions(snap2))); st.FilesReused != 1 || count(g.requests(), "put") != 0 {
		t.Errorf("the next snapshot right after it was made: %+v", st)
	}
	if _, st := backup(t, g, c, testOptions(snap1)); st.FilesReused != 0 || st.FilesUploaded != 1 {
		t.Errorf("same tree, ctime not remembered: %d reused, %d uploaded; want it read again", st.FilesReused, st.FilesUploaded)
	}
	if _, st := backup(t, g, c, testOptions(snap1)); st.FilesReused != 1 {
		t.Errorf("same tree, ctime remembered: %d reused, want 1", st.FilesReused)
	}
}
