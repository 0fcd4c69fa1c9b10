package main

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// nullFigs: first backups against the null gateway (this tool's own cost).
type nullFigs struct {
	kind             string
	tree             tree
	wall, rate, cpus sample
	rss              sample
	rerun, scan      sample // s: unchanged reruns and `backup --queue-only` on the same tree
	touch            sample // s: reruns after changing 1% of the files
	touched          int    // files changed per round
	// The -before binary on the same tree, in the same rounds.
	beforeRerun, beforeTouch, beforeRSS sample
}

func (b *bench) nullSection(ctx context.Context) error {
	g, err := startNullGateway()
	if err != nil {
		return err
	}
	defer g.close()
	kinds := []struct {
		kind string
		gen  func(string, uint64) (tree, error)
	}{
		{"small", func(r string, s uint64) (tree, error) { return genSmall(r, b.prof.SmallFiles, s) }},
		{"mixed", func(r string, s uint64) (tree, error) { return genMixed(r, b.prof.MixedEntries, s) }},
	}
	for _, k := range kinds {
		t, err := b.generate(k.kind, "null", 0, k.gen)
		if err != nil {
			return err
		}
		f := &nullFigs{kind: k.kind, tree: t}
		if err := b.nullRuns(ctx, g, f); err != nil {
			return err
		}
		os.RemoveAll(t.Root)
		b.fig.null = append(b.fig.null, f)
	}
	return nil
}

// nullRuns measures first backups, then alternates unchanged reruns with
// scans (and the -before binary's reruns), then reruns after changing 1%
// of the files, both binaries seeing the same change.
func (b *bench) nullRuns(ctx context.Context, g *nullGateway, f *nullFigs) error {
	t := f.tree
	var last *oursSite
	for rep := range b.runs {
		s, err := b.newOursAt(fmt.Sprintf("null-%s-%d", f.kind, rep), t, g.url, "")
		if err != nil {
			return err
		}
		r, err := b.oursBackup(ctx, s)
		if err != nil {
			return err
		}
		f.wall = append(f.wall, r.Wall.Seconds())
		f.rate = append(f.rate, float64(t.Objects())/r.Wall.Seconds())
		f.cpus = append(f.cpus, r.CPU.Seconds())
		f.rss = append(f.rss, r.RSSMB())
		b.logf("null gateway: %s first backup %d: %.2f s, %.2f s CPU, %.0f MB RSS", f.kind, rep, r.Wall.Seconds(), r.CPU.Seconds(), r.RSSMB())
		last = s
	}
	var before *oursSite
	if b.before != "" {
		var err error
		if before, err = b.newBeforeAt("null-before-"+f.kind, t, g.url, ""); err != nil {
			return err
		}
		if _, err := b.oursBackup(ctx, before); err != nil {
			return err
		}
	}
	// An unchanged rerun sends nothing, so against the null gateway it
	// measures what it does against a real one; alternate with scans.
	for rep := range b.runs {
		r, err := b.oursBackup(ctx, last)
		if err != nil {
			return err
		}
		q, err := b.oursBackup(ctx, last, "--queue-only")
		if err != nil {
			return err
		}
		f.rerun = append(f.rerun, r.Wall.Seconds())
		f.scan = append(f.scan, q.Wall.Seconds())
		f.rss = append(f.rss, r.RSSMB(), q.RSSMB())
		b.logf("null gateway: %s unchanged rerun %d: %.3f s; scan %.3f s", f.kind, rep, r.Wall.Seconds(), q.Wall.Seconds())
		if before != nil {
			r, err := b.oursBackup(ctx, before)
			if err != nil {
				return err
			}
			f.beforeRerun, f.beforeRSS = append(f.beforeRerun, r.Wall.Seconds()), append(f.beforeRSS, r.RSSMB())
			b.logf("null gateway: %s unchanged rerun %d, before: %.3f s", f.kind, rep, r.Wall.Seconds())
		}
	}
	for rep := range b.runs {
		n, err := touch(t, 0.01, rep)
		if err != nil {
			return err
		}
		f.touched = n
		settle()
		r, err := b.oursBackup(ctx, last)
		if err != nil {
			return err
		}
		f.touch, f.rss = append(f.touch, r.Wall.Seconds()), append(f.rss, r.RSSMB())
		b.logf("null gateway: %s 1%% changed (%d files) rerun %d: %.3f s", f.kind, n, rep, r.Wall.Seconds())
		if before != nil {
			r, err := b.oursBackup(ctx, before)
			if err != nil {
				return err
			}
			f.beforeTouch, f.beforeRSS = append(f.beforeTouch, r.Wall.Seconds()), append(f.beforeRSS, r.RSSMB())
			b.logf("null gateway: %s 1%% changed rerun %d, before: %.3f s", f.kind, rep, r.Wall.Seconds())
		}
	}
	return nil
}

func (b *bench) nullRows() []row {
	var rows []row
	for _, f := range b.fig.null {
		rows = append(rows, row{
			measure: fmt.Sprintf("%s: first backup against a null gateway (this tool's own cost), objects/s", f.kind),
			ours:    f.rate.format(0),
			ref:     fmt.Sprintf("wall %s s, CPU %s s", f.wall.format(2), f.cpus.format(2)),
		})
		r := ratio(f.rerun.median(), f.scan.median())
		rr := row{
			measure: fmt.Sprintf("%s (%d entries): unchanged rerun against the null gateway, wall s", f.kind, f.tree.Entries()),
			ours:    f.rerun.format(3),
			ref:     "own phase-one scan of the same tree: " + f.scan.format(3) + b.beforeRef(f.beforeRerun, 3),
			verdict: fmt.Sprintf("%.2f× scan", r),
		}
		if f.kind == "mixed" {
			rr.target = "≤ 2× own scan"
			rr.verdict = verdict(r <= 2, "%.2f× scan", r)
		}
		if len(f.beforeRerun) > 0 {
			rr.verdict += fmt.Sprintf("; %.1f× faster than before", ratio(f.beforeRerun.median(), f.rerun.median()))
		}
		tr := row{
			measure: fmt.Sprintf("%s: rerun after changing 1%% of files (%d) against the null gateway, wall s", f.kind, f.touched),
			ours:    f.touch.format(3),
			ref:     b.beforeRef(f.beforeTouch, 3),
		}
		if len(f.beforeTouch) > 0 {
			q := ratio(f.touch.median(), f.beforeTouch.median())
			tr.ref = strings.TrimPrefix(tr.ref, "; ")
			tr.target = "no slower than before"
			tr.verdict = verdict(q <= 1, "%.2f× the time before", q)
		}
		rows = append(rows, rr, tr, rssRow(f.kind+": peak RSS against the null gateway, MB", f.rss, nil))
		if len(f.beforeRSS) > 0 {
			rows = append(rows, row{measure: f.kind + ": peak RSS of the code before, null gateway reruns, MB",
				ref: fmt.Sprintf("before: max %.0f (median %.0f)", f.beforeRSS.max(), f.beforeRSS.median())})
		}
	}
	return rows
}

// beforeRef describes the -before binary's figure for a reference cell
// ("" when it did not run).
func (b *bench) beforeRef(s sample, prec int) string {
	if len(s) == 0 {
		return ""
	}
	return "; before (" + b.beforeName() + "): " + s.format(prec)
}
