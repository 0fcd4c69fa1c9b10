package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/lafsapi/lafstest"
)

// generations builds k backups of one tree in f: a shared subtree of 20
// files in 4 directories, a LIT file, and one file and one directory that
// change in every generation. It returns the roots (newest last), the
// caps of the shared files, and the number of distinct objects.
func generations(t *testing.T, f *fakeGrid, k int) (roots []lafsapi.Cap, shared []lafsapi.Cap, distinct int) {
	sub := map[string]lafsapi.Cap{}
	for d := range 4 {
		files := map[string]lafsapi.Cap{}
		for i := range 5 {
			c := newCap(t, false)
			files[fmt.Sprintf("f%d", i)] = c
			shared = append(shared, c)
		}
		sub[fmt.Sprintf("d%d", d)] = f.dir(t, files)
	}
	sharedDir := f.dir(t, sub)
	distinct = 1 + 4 + 20 + 1 // shared dir, its 4 dirs, 20 files, the LIT file
	for g := range k {
		changed := f.dir(t, map[string]lafsapi.Cap{"log": newCap(t, false)})
		tree := f.dir(t, map[string]lafsapi.Cap{
			"shared": sharedDir, "tiny": lit(t, "tiny"), "changed": changed,
			fmt.Sprintf("new%d", g): newCap(t, false),
		})
		roots = append(roots, f.dir(t, map[string]lafsapi.Cap{"snap": tree}))
		distinct += 5 // root, tree, changed dir, its log, new file
	}
	return roots, shared, distinct
}

func TestRenewChecksEachDistinctObjectOnce(t *testing.T) {
	f := newFakeGrid(t)
	roots, _, distinct := generations(t, f, 5)
	var prog Progress
	res, err := Renew(context.Background(), f.c, roots, RenewOptions{Jobs: 3, AddLease: true, Progress: &prog})
	if err != nil {
		t.Fatal(err)
	}
	if res.Objects != int64(distinct) {
		t.Errorf("objects %d, want %d", res.Objects, distinct)
	}
	if prog.Reached.Load() != int64(distinct) || prog.Checked.Load() != int64(distinct) {
		t.Errorf("progress: %d reached, %d checked", prog.Reached.Load(), prog.Checked.Load())
	}
	infos := f.counts("info")
	for c, n := range infos {
		if n != 1 {
			t.Errorf("a directory was read %d times", n)
		}
		_ = c
	}
	if len(infos) != len(f.dirs) {
		t.Errorf("%d of %d directories read", len(infos), len(f.dirs))
	}
	checks := 0
	for c, n := range f.counts("check") {
		if n != 1 {
			t.Errorf("an object was checked %d times", n)
		}
		if strings.HasPrefix(c, "URI:LIT:") {
			t.Error("a LIT object was checked")
		}
		checks += n
	}
	if checks != distinct-1 || res.Requests != int64(checks) {
		t.Errorf("%d checks (Requests %d), want %d (distinct minus the LIT file)", checks, res.Requests, distinct-1)
	}
	for _, o := range f.checkOpts() {
		if !o.AddLease || o.Repair {
			t.Fatalf("check options %+v", o)
		}
	}
	if res.Healthy != int64(distinct) || res.LeasesRenewed != int64(distinct-1) || res.Unhealthy+res.Unrecoverable+res.Failed != 0 {
		t.Errorf("stats %+v", res.Stats)
	}
	for i, fl := range res.Roots {
		if !fl.OK() {
			t.Errorf("root %d flags %v", i, fl)
		}
	}
}

// collect gathers reported problems, sorted.
type collect struct {
	mu   sync.Mutex
	list []string
}

func (c *collect) add(p Problem) {
	c.mu.Lock()
	c.list = append(c.list, fmt.Sprintf("%d %s %s", p.Root, p.Kind, p.Path))
	c.mu.Unlock()
}

func (c *collect) sorted() []string {
	sort.Strings(c.list)
	return c.list
}

func TestRenewTracesProblemsToEveryRootThatReachesThem(t *testing.T) {
	f := newFakeGrid(t)
	roots, shared, _ := generations(t, f, 3)
	// A root of its own that shares nothing.
	lonely := f.dir(t, map[string]lafsapi.Cap{"x": newCap(t, false)})
	roots = append(roots, lonely)
	sick := shared[7]
	f.SetHealth(sick, lafsapi.CheckResult{Summary: "Not Healthy: 3 shares", Recoverable: true, SharesGood: 3})
	var c collect
	res, err := Renew(context.Background(), f.c, roots, RenewOptions{Jobs: 2, AddLease: true, Report: c.add})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if res.Roots[i] != FlagUnhealthy {
			t.Errorf("root %d flags %v, want unhealthy", i, res.Roots[i])
		}
	}
	if !res.Roots[3].OK() {
		t.Errorf("the unrelated root has flags %v", res.Roots[3])
	}
	got := c.sorted()
	if len(got) != 1 || !strings.Contains(got[0], " unhealthy snap/shared/d1/f2") {
		t.Errorf("problems %q", got)
	}
	if res.Unhealthy != 1 || res.LeasesRenewed != res.Requests {
		t.Errorf("stats %+v", res.Stats)
	}
}

func TestRenewFaults(t *testing.T) {
	cases := []struct {
		name      string
		prepare   func(f *fakeGrid, roots, shared []lafsapi.Cap)
		opts      RenewOptions
		wantFlags Flags // of every root (all reach the fault)
		wantKinds []ProblemKind
		check     func(t *testing.T, s Stats)
	}{
		{"unrecoverable file", func(f *fakeGrid, _, shared []lafsapi.Cap) {
			f.SetHealth(shared[0], lafsapi.CheckResult{Summary: "Not Healthy: 1 share"})
		}, RenewOptions{}, FlagUnrecoverable, []ProblemKind{ProblemUnrecoverable},
			func(t *testing.T, s Stats) {
				if s.Unrecoverable != 1 || s.LeasesRenewed != 0 {
					t.Errorf("%+v", s)
				}
			}},
		{"unreadable shared directory", func(f *fakeGrid, roots, shared []lafsapi.Cap) {
			for c, kids := range f.dirs {
				if slices.Contains(mapsValues(kids), shared[0]) {
					f.gone(c)
					cp, _ := lafsapi.ParseCap(c)
					f.SetHealth(cp, lafsapi.CheckResult{Summary: "Unhealthy: 1 share"})
				}
			}
		}, RenewOptions{AddLease: true}, FlagUnrecoverable | FlagIncomplete,
			[]ProblemKind{ProblemUnreadable, ProblemUnrecoverable},
			func(t *testing.T, s Stats) {
				if s.Unreadable != 1 || s.Unrecoverable != 1 || s.Objects != 36 /* 41 distinct, less the 5 files of the unreadable directory */ {
					t.Errorf("%+v", s)
				}
			}},
		{"a check that fails", func(f *fakeGrid, _, shared []lafsapi.Cap) {
			f.Fault(lafstest.Op("check", shared[3]), lafstest.HangUp) // connection lost, every attempt
		}, RenewOptions{AddLease: true}, FlagFailed, []ProblemKind{ProblemFailed},
			func(t *testing.T, s Stats) {
				if s.Failed != 1 || s.LeasesRenewed != s.Requests-1 {
					t.Errorf("%+v", s)
				}
			}},
		{"a listing that fails", func(f *fakeGrid, _, shared []lafsapi.Cap) {
			for c, kids := range f.dirs {
				if slices.Contains(mapsValues(kids), shared[0]) {
					cp, _ := lafsapi.ParseCap(c)
					f.Unreadable(cp, 500, "internal error")
				}
			}
		}, RenewOptions{}, FlagFailed | FlagIncomplete, []ProblemKind{ProblemFailed},
			func(t *testing.T, s Stats) {
				if s.Failed != 1 {
					t.Errorf("%+v", s)
				}
			}},
		{"repair", func(f *fakeGrid, _, shared []lafsapi.Cap) {
			f.SetHealth(shared[0], lafsapi.CheckResult{Summary: "Not Healthy: 3 shares", Recoverable: true, SharesGood: 3})
		}, RenewOptions{AddLease: true, Repair: true}, 0, []ProblemKind{ProblemRepaired},
			func(t *testing.T, s Stats) {
				if s.Repaired != 1 || s.Unhealthy != 0 || s.Healthy != s.Objects {
					t.Errorf("%+v", s)
				}
			}},
		{"unknown child", func(f *fakeGrid, _, shared []lafsapi.Cap) {
			for c, kids := range f.dirs {
				if slices.Contains(mapsValues(kids), shared[0]) {
					f.setChild(c, "mangled", lafsapi.Cap{})
				}
			}
		}, RenewOptions{}, FlagUnrecoverable, []ProblemKind{ProblemUnrecoverable},
			func(t *testing.T, s Stats) {
				if s.Unrecoverable != 1 {
					t.Errorf("%+v", s)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeGrid(t)
			roots, shared, _ := generations(t, f, 3)
			c.prepare(f, roots, shared)
			var kinds []ProblemKind
			var mu sync.Mutex
			c.opts.Report = func(p Problem) { mu.Lock(); kinds = append(kinds, p.Kind); mu.Unlock() }
			res, err := Renew(context.Background(), f.c, roots, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			for i, fl := range res.Roots {
				if fl != c.wantFlags {
					t.Errorf("root %d flags %v, want %v", i, fl, c.wantFlags)
				}
			}
			slices.Sort(kinds)
			slices.Sort(c.wantKinds)
			if !slices.Equal(kinds, c.wantKinds) {
				t.Errorf("problems %v, want %v", kinds, c.wantKinds)
			}
			c.check(t, res.Stats)
		})
	}
}

func mapsValues(m map[string]lafsapi.Cap) []lafsapi.Cap {
	var out []lafsapi.Cap
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestRenewStopsWhenCancelled(t *testing.T) {
	f := newFakeGrid(t)
	roots, _, _ := generations(t, f, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Renew(ctx, f.c, roots, RenewOptions{}); err != context.Canceled {
		t.Errorf("err %v", err)
	}
}

func TestRenewNoRoots(t *testing.T) {
	res, err := Renew(context.Background(), newFakeGrid(t).c, nil, RenewOptions{})
	if err != nil || res.Objects != 0 {
		t.Errorf("%+v %v", res, err)
	}
}
