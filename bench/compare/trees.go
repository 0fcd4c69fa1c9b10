package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lafs-backup/lafs-backup/uploader"
)

// toolFigs are one tool's figures on one tree.
type toolFigs struct {
	firstWall, firstObjRate, firstMBs, firstReqs sample
	firstCPU, firstGridCPU                       sample // s: the client process; the gateway and storage nodes
	rerunWall, rerunReqs                         sample
	rerunScan                                    sample // s: `backup --queue-only` right after each unchanged rerun (ours)
	touchWall, touchReqs                         sample
	rss                                          sample // MB, every run on this tree
	lastRerun, lastTouch                         requests
}

// treeFigs are the figures of one kind of tree.
type treeFigs struct {
	kind        string
	tree        tree // counts of the (last) generated tree; every copy has the same shape
	ours        toolFigs
	tahoe       toolFigs
	ceiling     sample // curl objects/s (small tree only)
	curlGridCPU sample // s of grid CPU for the curl uploads
	touched     int    // files changed per touch round
}

type figures struct {
	ran   []string
	small *treeFigs
	mixed *treeFigs
	scan  scanFigs
	large largeFigs
	big   bigFigs
	lease leaseFigs
	null  []*nullFigs

	lit litFigs // files of at most 55 bytes

	direct directFigs // docs/direct.md
}

// mixedOurs is the mixed tree this tool backed up (for the scan).
var mixedOurs *oursSite

func (b *bench) smallSection(ctx context.Context) error {
	f, _, err := b.treeSection(ctx, "small", func(root string, s uint64) (tree, error) {
		return genSmall(root, b.prof.SmallFiles, s)
	}, true)
	b.fig.small = f
	return err
}

func (b *bench) mixedSection(ctx context.Context) error {
	f, ours, err := b.treeSection(ctx, "mixed", func(root string, s uint64) (tree, error) {
		return genMixed(root, b.prof.MixedEntries, s)
	}, false)
	b.fig.mixed, mixedOurs = f, ours
	return err
}

// treeSection measures first backups (fresh tree content, cache and
// backupdb each time), unchanged reruns and reruns after changing 1% of
// the files, for both tools, and with ceiling the curl rate of the same
// kind of files.
func (b *bench) treeSection(ctx context.Context, kind string, gen func(string, uint64) (tree, error), ceiling bool) (*treeFigs, *oursSite, error) {
	f := &treeFigs{kind: kind}
	var ours *oursSite
	var theirs *tahoeSite
	oursOn, tahoeOn, curlOn := true, true, ceiling
	for rep := 0; rep < b.runs && (oursOn || tahoeOn || curlOn); rep++ {
		if oursOn {
			t, err := b.generate(kind, "ours", rep, gen)
			if err != nil {
				return f, nil, err
			}
			f.tree = t
			if ours, err = b.newOursAt(fmt.Sprintf("%s-%d", kind, rep), t, b.proxy.url, b.treesYAML()); err != nil {
				return f, nil, err
			}
			res, err := b.oursBackup(ctx, ours)
			if err != nil {
				return f, nil, err
			}
			f.ours.addFirst(res, t)
			b.logf("%s: lafs-backup first backup %d: %.1f s, %d requests, %.0f MB RSS, CPU %.1f s, grid CPU %.1f s",
				kind, rep, res.Wall.Seconds(), res.Reqs.total(), res.RSSMB(), res.CPU.Seconds(), res.Grid.Seconds())
			oursOn = res.Wall < b.long
		}
		if tahoeOn {
			t, err := b.generate(kind, "tahoe", rep, gen)
			if err != nil {
				return f, nil, err
			}
			if theirs, err = b.newTahoe(ctx, fmt.Sprintf("%s-%d", kind, rep), t); err != nil {
				return f, nil, err
			}
			res, err := b.tahoeBackup(ctx, theirs)
			if err != nil {
				return f, nil, err
			}
			f.tahoe.addFirst(res, t)
			b.logf("%s: tahoe backup first backup %d: %.1f s, %d requests, %.0f MB RSS, CPU %.1f s, grid CPU %.1f s",
				kind, rep, res.Wall.Seconds(), res.Reqs.total(), res.RSSMB(), res.CPU.Seconds(), res.Grid.Seconds())
			tahoeOn = res.Wall < b.long
		}
		if curlOn {
			t, err := b.generate(kind, "curl", rep, gen)
			if err != nil {
				return f, nil, err
			}
			res, err := b.curlPut(ctx, t.absPaths(), b.parallel)
			if err != nil {
				return f, nil, err
			}
			f.ceiling = append(f.ceiling, float64(t.Files)/res.Wall.Seconds())
			f.curlGridCPU = append(f.curlGridCPU, res.Grid.Seconds())
			b.logf("%s: curl ceiling %d: %d files in %.1f s, grid CPU %.1f s", kind, rep, t.Files, res.Wall.Seconds(), res.Grid.Seconds())
			curlOn = res.Wall < b.long
			os.RemoveAll(t.Root)
		}
	}
	if err := b.reruns(ctx, f, ours, theirs); err != nil {
		return f, ours, err
	}
	return f, ours, nil
}

// treesYAML is the extra configuration of the small and mixed sections'
// lafs-backup: direct with -trees-direct.
func (b *bench) treesYAML() string {
	if b.treesDirect {
		return b.directYAML()
	}
	return ""
}

// generate writes the tree of kind for tool and repetition rep, removing
// the one of the previous repetition.
func (b *bench) generate(kind, tool string, rep int, gen func(string, uint64) (tree, error)) (tree, error) {
	if rep > 0 {
		os.RemoveAll(b.treeRoot(kind, tool, rep-1))
	}
	start := time.Now()
	t, err := gen(b.treeRoot(kind, tool, rep), seed(kind, tool, rep))
	if err != nil {
		return t, fmt.Errorf("generate %s tree: %w", kind, err)
	}
	b.logf("%s: generated %s tree %d: %d files, %d dirs, %d symlinks, %.1f MB in %.1f s",
		kind, tool, rep, t.Files, t.Dirs, t.Symlinks, float64(t.Bytes)/1e6, time.Since(start).Seconds())
	settle()
	return t, nil
}

// settle waits until what was just written is older than the uploader's
// RacyMargin (2 s): a tree changed within it of a backup's walk is not
// recorded as unchanged (docs/uploader.md), which a nightly backup of a
// tree written hours before never meets; a fresh tree backed up at once
// would make every first backup look like that exception.
func settle() { time.Sleep(uploader.RacyMargin + 100*time.Millisecond) }

func (b *bench) treeRoot(kind, tool string, rep int) string {
	return filepath.Join(b.work, "trees", fmt.Sprintf("%s-%s-%d", kind, tool, rep))
}

func (tf *toolFigs) addFirst(r result, t tree) {
	s := r.Wall.Seconds()
	tf.firstWall = append(tf.firstWall, s)
	tf.firstObjRate = append(tf.firstObjRate, float64(t.Objects())/s)
	tf.firstMBs = append(tf.firstMBs, float64(t.Bytes)/1e6/s)
	tf.firstReqs = append(tf.firstReqs, float64(r.Reqs.total()))
	tf.rss = append(tf.rss, r.RSSMB())
	tf.firstCPU = append(tf.firstCPU, r.CPU.Seconds())
	tf.firstGridCPU = append(tf.firstGridCPU, r.Grid.Seconds())
}

// reruns measures unchanged reruns, then reruns after changing 1% of the
// files (other files each round), alternating the tools.
func (b *bench) reruns(ctx context.Context, f *treeFigs, ours *oursSite, theirs *tahoeSite) error {
	for rep := range b.runs {
		// An untimed scan first, so that the timed rerun and the timed
		// scan both follow one of this tool's runs: measured by hand, the
		// first run after a tahoe backup run is up to 1.5x slower (sys
		// time), which made the ratio measure which of the two came first.
		if _, err := b.oursBackup(ctx, ours, "--queue-only"); err != nil {
			return err
		}
		r, err := b.oursBackup(ctx, ours)
		if err != nil {
			return err
		}
		f.ours.rerunWall = append(f.ours.rerunWall, r.Wall.Seconds())
		f.ours.rerunReqs = append(f.ours.rerunReqs, float64(r.Reqs.total()))
		f.ours.rss = append(f.ours.rss, r.RSSMB())
		f.ours.lastRerun = r.Reqs
		// The scan it is compared with runs at once after it, on the
		// same tree and grid: a scan taken in another section, under
		// another load, would make the ratio measure the load.
		q, err := b.oursBackup(ctx, ours, "--queue-only")
		if err != nil {
			return err
		}
		f.ours.rerunScan = append(f.ours.rerunScan, q.Wall.Seconds())
		t, err := b.tahoeBackup(ctx, theirs)
		if err != nil {
			return err
		}
		f.tahoe.rerunWall = append(f.tahoe.rerunWall, t.Wall.Seconds())
		f.tahoe.rerunReqs = append(f.tahoe.rerunReqs, float64(t.Reqs.total()))
		f.tahoe.rss = append(f.tahoe.rss, t.RSSMB())
		f.tahoe.lastRerun = t.Reqs
		b.logf("%s: unchanged rerun %d: lafs-backup %.2f s %d requests (its scan %.2f s); tahoe backup %.2f s %d requests",
			f.kind, rep, r.Wall.Seconds(), r.Reqs.total(), q.Wall.Seconds(), t.Wall.Seconds(), t.Reqs.total())
	}
	for rep := range b.runs {
		n, err := touch(ours.tree, 0.01, rep)
		if err != nil {
			return err
		}
		if _, err := touch(theirs.tree, 0.01, rep); err != nil {
			return err
		}
		settle() // a nightly run finds changes made before it
		f.touched = n
		r, err := b.oursBackup(ctx, ours)
		if err != nil {
			return err
		}
		f.ours.touchWall = append(f.ours.touchWall, r.Wall.Seconds())
		f.ours.touchReqs = append(f.ours.touchReqs, float64(r.Reqs.total()))
		f.ours.rss = append(f.ours.rss, r.RSSMB())
		f.ours.lastTouch = r.Reqs
		t, err := b.tahoeBackup(ctx, theirs)
		if err != nil {
			return err
		}
		f.tahoe.touchWall = append(f.tahoe.touchWall, t.Wall.Seconds())
		f.tahoe.touchReqs = append(f.tahoe.touchReqs, float64(t.Reqs.total()))
		f.tahoe.rss = append(f.tahoe.rss, t.RSSMB())
		f.tahoe.lastTouch = t.Reqs
		b.logf("%s: 1%% changed (%d files) rerun %d: lafs-backup %.2f s %d requests; tahoe backup %.2f s %d requests",
			f.kind, n, rep, r.Wall.Seconds(), r.Reqs.total(), t.Wall.Seconds(), t.Reqs.total())
	}
	return nil
}
