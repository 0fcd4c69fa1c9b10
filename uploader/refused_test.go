package uploader

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// refuse makes the fake grid refuse uploads of n bytes (as storage servers
// holding an interrupted upload's shares do) the first times times; -1:
// always. It returns when each refused call was made.
func refuse(g *fakeGrid, n, times int) func() []time.Time {
	var mu sync.Mutex
	var at []time.Time
	g.onPut = func(_ context.Context, _ int, data []byte) error {
		mu.Lock()
		defer mu.Unlock()
		if len(data) != n || times >= 0 && len(at) >= times {
			return nil
		}
		at = append(at, time.Now())
		return fmt.Errorf("fake put: %w", ErrRefused)
	}
	return func() []time.Time { mu.Lock(); defer mu.Unlock(); return append([]time.Time(nil), at...) }
}

// refuseDir makes Mkdir of a directory holding a child named name fail
// with ErrRefused, always.
func refuseDir(g *fakeGrid, name string) {
	g.onMkdir = func(children map[string]Child) error {
		if _, ok := children[name]; ok {
			return fmt.Errorf("fake mkdir: %w", ErrRefused)
		}
		return nil
	}
}

// TestRefusedRetriedAtEnd: an object refused once is set aside, the rest
// of the tree goes on, and after RefusedWait it is retried and the backup
// completes.
func TestRefusedRetriedAtEnd(t *testing.T) {
	root := deepTree(t)
	g, c := newFakeGrid(), newFakeCache()
	refusals := refuse(g, 200, 1) // a/b/sib.dat
	opts := testOptions(root)
	opts.RefusedWait = 50 * time.Millisecond
	cap, st := backup(t, g, c, opts)
	if st.SetAside != 1 || st.Refused != 0 || st.Incomplete() || len(st.Problems) != 0 {
		t.Fatalf("stats %+v", st)
	}
	b, _ := g.dir(child(t, g, cap, "backup.1", "a", "b").Cap)
	if !reflect.DeepEqual(sorted(keys(b)), []string{"c", "sib.dat"}) {
		t.Errorf("a/b lists %q", keys(b))
	}
	puts := []string{}
	for _, r := range g.requests() {
		if strings.HasPrefix(r, "put ") {
			puts = append(puts, r)
		}
	}
	if len(puts) != 6 || puts[len(puts)-1] != "put 200" {
		t.Errorf("uploads %q: want the refused one retried after every other", puts)
	}
	if at := refusals(); len(at) != 1 || time.Since(at[0]) < opts.RefusedWait {
		t.Errorf("refused at %v: want one refusal at least RefusedWait before the end", at)
	}
}

// TestRefusedTwiceLeftOut: what the storage servers refuse again at the end
// is left out of its directory, as an unreadable entry is (exit 3 in the
// CLI), everything else is complete, and the next run completes the tree
// uploading only what was left out.
func TestRefusedTwiceLeftOut(t *testing.T) {
	root := deepTree(t)
	g, c := newFakeGrid(), newFakeCache()
	refuse(g, 200, -1)    // a/b/sib.dat
	refuseDir(g, "z.dat") // the directory z
	opts := testOptions(root)
	opts.RefusedWait = time.Millisecond
	cap, st := backup(t, g, c, opts)
	if st.SetAside != 2 || st.Refused != 2 || !st.Incomplete() {
		t.Fatalf("stats %+v", st)
	}
	var paths []string
	for _, p := range st.Problems {
		paths = append(paths, p.Path)
		if p.Kind != ProblemRefused || !strings.Contains(p.Reason, "the next run uploads it") {
			t.Errorf("problem %+v", p)
		}
	}
	sort.Strings(paths)
	if !reflect.DeepEqual(paths, []string{"a/b/sib.dat", "z"}) {
		t.Errorf("problems name %q", paths)
	}
	top, _ := g.dir(child(t, g, cap, "backup.1").Cap)
	b, _ := g.dir(child(t, g, cap, "backup.1", "a", "b").Cap)
	if !reflect.DeepEqual(sorted(keys(top)), []string{"a", "tiny", "top.dat"}) || !reflect.DeepEqual(keys(b), []string{"c"}) {
		t.Errorf("root lists %q, a/b lists %q", keys(top), keys(b))
	}
	g.requests()

	g.onPut, g.onMkdir = nil, nil // the hold is over
	cap, st = backup(t, g, c, opts)
	if st.Incomplete() || st.SetAside != 0 || st.FilesUploaded != 1 {
		t.Fatalf("next run: stats %+v", st)
	}
	top, _ = g.dir(child(t, g, cap, "backup.1").Cap)
	b, _ = g.dir(child(t, g, cap, "backup.1", "a", "b").Cap)
	if !reflect.DeepEqual(sorted(keys(top)), []string{"a", "tiny", "top.dat", "z"}) || len(b) != 2 {
		t.Errorf("next run: root lists %q, a/b lists %q", keys(top), keys(b))
	}
}

// TestRefusedRootEndsRun: the wrapper (or the root) cannot be left out: a
// second refusal ends the run with the error.
func TestRefusedRootEndsRun(t *testing.T) {
	root := deepTree(t)
	g := newFakeGrid()
	refuseDir(g, "backup.1")
	opts := testOptions(root)
	opts.RefusedWait = time.Millisecond
	_, _, err := newUploader(t, g, newFakeCache(), opts).Run(t.Context(), &sliceEntries{es: walkTree(t, root)})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("err %v, want the refusal", err)
	}
}

// TestManyRefusalsEndRun: a grid that refuses more than interrupted
// uploads can explain (full servers) ends the run, as before.
func TestManyRefusalsEndRun(t *testing.T) {
	root := t.TempDir()
	for i := range maxRefused + 1 {
		write(t, root, fmt.Sprintf("f%03d.dat", i), text(100+i))
	}
	fixDirTimes(t, root)
	g := newFakeGrid()
	g.onPut = func(context.Context, int, []byte) error { return fmt.Errorf("fake put: %w", ErrRefused) }
	opts := testOptions(root)
	opts.RefusedWait = time.Millisecond
	_, _, err := newUploader(t, g, newFakeCache(), opts).Run(t.Context(), &sliceEntries{es: walkTree(t, root)})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "more than 64") {
		t.Fatalf("err %v", err)
	}
}
