package main

import (
	"context"
	"fmt"
	"os"
)

// nullFigs: first backups against the null gateway (this tool's own cost).
type nullFigs struct {
	kind             string
	tree             tree
	wall, rate, cpus sample
	rss              sample
	rerun, scan      sample // s: unchanged reruns and `backup --queue-only` on the same tree
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
		var last *oursSite
		for rep := range b.runs {
			s, err := b.newOursAt(fmt.Sprintf("null-%s-%d", k.kind, rep), t, g.url, "")
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
			b.logf("null gateway: %s first backup %d: %.2f s, %.2f s CPU, %.0f MB RSS", k.kind, rep, r.Wall.Seconds(), r.CPU.Seconds(), r.RSSMB())
			last = s
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
			b.logf("null gateway: %s unchanged rerun %d: %.3f s; scan %.3f s", k.kind, rep, r.Wall.Seconds(), q.Wall.Seconds())
		}
		os.RemoveAll(t.Root)
		b.fig.null = append(b.fig.null, f)
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
			ref:     "own phase-one scan of the same tree: " + f.scan.format(3),
			verdict: fmt.Sprintf("%.2f× scan", r),
		}
		if f.kind == "mixed" {
			rr.target = "≤ 2× own scan"
			rr.verdict = verdict(r <= 2, "%.2f× scan", r)
		}
		rows = append(rows, rr, rssRow(f.kind+": peak RSS against the null gateway, MB", f.rss, nil))
	}
	return rows
}
