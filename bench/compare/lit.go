package main

import (
	"context"
	"fmt"
	"os"
)

// litFigs: a tree of files of at most 55 bytes, whose content is their
// LIT cap (docs/uploader.md): the first backup should send directory
// requests only, and an unchanged rerun nothing.
type litFigs struct {
	tree              tree
	firstWall         sample
	first             requests
	rerun, scan, reqs sample
	rss               sample
}

// genLit writes n files of 1-55 bytes of text, 50 to a directory, in the
// small tree's two-level fan-out.
func genLit(root string, n int, seed uint64) (tree, error) {
	b, err := newBuilder(root)
	if err != nil {
		return tree{}, err
	}
	r := newRand(seed)
	for i := range n {
		leaf := i / 50
		dir, err := b.fanOut(fmt.Sprintf("d%03d", leaf/20), fmt.Sprintf("s%02d", leaf%20))
		if err != nil {
			return tree{}, err
		}
		if err := b.file(fmt.Sprintf("%s/t%05d.txt", dir, i), 1+r.Int64N(55), true, r.Uint64()); err != nil {
			return tree{}, err
		}
	}
	return b.finish()
}

func (b *bench) litSection(ctx context.Context) error {
	t, err := b.generate("lit", "ours", 0, func(root string, s uint64) (tree, error) {
		return genLit(root, b.prof.LitFiles, s)
	})
	if err != nil {
		return err
	}
	defer os.RemoveAll(t.Root)
	f := &b.fig.lit
	f.tree = t
	s, err := b.newOurs("lit", t)
	if err != nil {
		return err
	}
	res, err := b.oursBackup(ctx, s)
	if err != nil {
		return err
	}
	f.firstWall, f.first, f.rss = sample{res.Wall.Seconds()}, res.Reqs, sample{res.RSSMB()}
	b.logf("lit: first backup of %d files: %.1f s, requests %s", t.Files, res.Wall.Seconds(), res.Reqs)
	for rep := range b.runs {
		r, err := b.oursBackup(ctx, s)
		if err != nil {
			return err
		}
		q, err := b.oursBackup(ctx, s, "--queue-only")
		if err != nil {
			return err
		}
		f.rerun, f.scan = append(f.rerun, r.Wall.Seconds()), append(f.scan, q.Wall.Seconds())
		f.reqs = append(f.reqs, float64(r.Reqs.total()))
		f.rss = append(f.rss, r.RSSMB(), q.RSSMB())
		b.logf("lit: unchanged rerun %d: %.3f s, %d requests; scan %.3f s", rep, r.Wall.Seconds(), r.Reqs.total(), q.Wall.Seconds())
	}
	return nil
}

func (b *bench) litRows() []row {
	f := b.fig.lit
	if len(f.firstWall) == 0 {
		return nil
	}
	t := f.tree
	mkdirs := f.first["POST /uri?t=mkdir-immutable"]
	others := f.first.total() - mkdirs - f.first["GET /?t=json"]
	return []row{
		{measure: fmt.Sprintf("tiny files: first backup of %d files of 1–55 bytes in %d directories, wall s", t.Files, t.Dirs),
			ours: f.firstWall.format(1), ref: "requests: " + f.first.String(),
			target:  "directory requests only",
			verdict: verdict(others == 0 && mkdirs == t.Dirs+1, "%d mkdir-immutable for %d directories and the wrapper, %d other", mkdirs, t.Dirs, others)},
		{measure: "tiny files: unchanged rerun, wall s", ours: f.rerun.format(3),
			ref: "own phase-one scan: " + f.scan.format(3), target: "0 requests",
			verdict: verdict(len(f.reqs) > 0 && f.reqs.max() == 0, "max %.0f; %.2f× scan", maxOr0(f.reqs), ratio(f.rerun.median(), f.scan.median()))},
		rssRow("tiny files: peak RSS, MB (every run)", f.rss, nil),
	}
}
