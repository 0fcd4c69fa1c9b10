package main

import (
	"context"
	"fmt"
	"os"
)

// largeFigs: MB/s (source bytes) of the two large files for each tool and
// for plain parallel curl PUTs of files of the same kind (the ceiling).
type largeFigs struct {
	bytes              int64
	ours, tahoe, curl  sample
	oursRaw            sample // this tool with xz off: its transport alone
	oursRSS, tahoeRSS  sample
	oursReqs, curlReqs sample
}

func (b *bench) largeSection(ctx context.Context) error {
	f := &b.fig.large
	gen := func(root string, s uint64) (tree, error) { return genLarge(root, b.prof.LargeSize, s) }
	tools := []string{"ours", "ours-raw", "tahoe", "curl"}
	on := map[string]bool{}
	for _, t := range tools {
		on[t] = true
	}
	for rep := 0; rep < b.runs; rep++ {
		for _, tool := range tools {
			if !on[tool] {
				continue
			}
			t, err := b.generate("large", tool, rep, gen)
			if err != nil {
				return err
			}
			f.bytes = t.Bytes
			res, err := b.largeRun(ctx, tool, rep, t)
			if err != nil {
				return err
			}
			mbs := float64(t.Bytes) / 1e6 / res.Wall.Seconds()
			switch tool {
			case "ours":
				f.ours, f.oursRSS = append(f.ours, mbs), append(f.oursRSS, res.RSSMB())
				f.oursReqs = append(f.oursReqs, float64(res.Reqs.total()))
			case "ours-raw":
				f.oursRaw = append(f.oursRaw, mbs)
			case "tahoe":
				f.tahoe, f.tahoeRSS = append(f.tahoe, mbs), append(f.tahoeRSS, res.RSSMB())
			case "curl":
				f.curl = append(f.curl, mbs)
				f.curlReqs = append(f.curlReqs, float64(res.Reqs.total()))
			}
			b.logf("large: %s %d: %.1f s, %.1f MB/s, %.0f MB RSS, CPU %.1f s, grid CPU %.1f s",
				tool, rep, res.Wall.Seconds(), mbs, res.RSSMB(), res.CPU.Seconds(), res.Grid.Seconds())
			os.RemoveAll(t.Root)
			on[tool] = res.Wall < b.long
		}
	}
	return nil
}

func (b *bench) largeRun(ctx context.Context, tool string, rep int, t tree) (result, error) {
	name := fmt.Sprintf("large-%d", rep)
	switch tool {
	case "ours":
		s, err := b.newOurs(name, t)
		if err != nil {
			return result{}, err
		}
		return b.oursBackup(ctx, s)
	case "ours-raw":
		s, err := b.newOursAt(name+"-raw", t, b.proxy.url, "  encoding: {xz: {enabled: false}}\n")
		if err != nil {
			return result{}, err
		}
		return b.oursBackup(ctx, s)
	case "tahoe":
		s, err := b.newTahoe(ctx, name, t)
		if err != nil {
			return result{}, err
		}
		return b.tahoeBackup(ctx, s)
	}
	return b.curlPut(ctx, t.absPaths(), 2)
}

// bigFigs: one compressible file of 2 GiB through this tool (bench/results.md:
// memory must not grow with file size while xz runs).
type bigFigs struct {
	bytes     int64
	wall, mbs sample
	rss       sample
}

func (b *bench) bigSection(ctx context.Context) error {
	t, err := b.generate("big", "ours", 0, func(root string, s uint64) (tree, error) {
		return genBig(root, b.prof.BigSize, s)
	})
	if err != nil {
		return err
	}
	defer os.RemoveAll(t.Root)
	s, err := b.newOurs("big", t)
	if err != nil {
		return err
	}
	res, err := b.oursBackup(ctx, s)
	if err != nil {
		return err
	}
	f := &b.fig.big
	f.bytes = t.Bytes
	f.wall = sample{res.Wall.Seconds()}
	f.mbs = sample{float64(t.Bytes) / 1e6 / res.Wall.Seconds()}
	f.rss = sample{res.RSSMB()}
	b.logf("big: %.1f s, %.1f MB/s, %.0f MB RSS", res.Wall.Seconds(), f.mbs[0], res.RSSMB())
	return nil
}
