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
	oursCores          sample // CPU s of the client per wall s: the cores it kept busy
	// The -before binary on trees of the same kind, in the same rounds.
	before, beforeRSS, beforeCores sample
	// Both binaries against the null gateway: the client alone, with no
	// grid process on the machine's cores.
	oursNull, beforeNull, oursNullCores, beforeNullCores sample
	// This tool with direct (xz on): the gateway's encoding off the cores.
	oursDirect, oursDirectRSS, oursDirectCores sample
}

func (b *bench) largeSection(ctx context.Context) error {
	f := &b.fig.large
	gen := func(root string, s uint64) (tree, error) { return genLarge(root, b.prof.LargeSize, s) }
	tools := []string{"ours", "ours-raw", "ours-direct", "tahoe", "curl"}
	if b.before != "" {
		tools = append([]string{"before", "before-null", "ours-null"}, tools...)
		g, err := startNullGateway()
		if err != nil {
			return err
		}
		defer g.close()
		b.largeNull = g.url
	}
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
				f.oursCores = append(f.oursCores, cores(res))
			case "before":
				f.before, f.beforeRSS = append(f.before, mbs), append(f.beforeRSS, res.RSSMB())
				f.beforeCores = append(f.beforeCores, cores(res))
			case "before-null":
				f.beforeNull, f.beforeNullCores = append(f.beforeNull, mbs), append(f.beforeNullCores, cores(res))
			case "ours-null":
				f.oursNull, f.oursNullCores = append(f.oursNull, mbs), append(f.oursNullCores, cores(res))
			case "ours-direct":
				f.oursDirect, f.oursDirectRSS = append(f.oursDirect, mbs), append(f.oursDirectRSS, res.RSSMB())
				f.oursDirectCores = append(f.oursDirectCores, cores(res))
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
	case "before":
		s, err := b.newBeforeAt(name+"-before", t, b.proxy.url, "")
		if err != nil {
			return result{}, err
		}
		return b.oursBackup(ctx, s)
	case "before-null":
		s, err := b.newBeforeAt(name+"-before-null", t, b.largeNull, "")
		if err != nil {
			return result{}, err
		}
		return b.oursBackup(ctx, s)
	case "ours-null":
		s, err := b.newOursAt(name+"-null", t, b.largeNull, "")
		if err != nil {
			return result{}, err
		}
		return b.oursBackup(ctx, s)
	case "ours-direct":
		s, err := b.newOursAt(name+"-direct", t, b.proxy.url, b.directYAML())
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
	cores     sample
	// The -before binary on the same file.
	beforeMBs, beforeRSS, beforeCores sample
	// This tool with direct on a file of the same kind (other bytes).
	directMBs, directRSS, directCores sample
}

func (b *bench) bigSection(ctx context.Context) error {
	t, err := b.generate("big", "ours", 0, func(root string, s uint64) (tree, error) {
		return genBig(root, b.prof.BigSize, s)
	})
	if err != nil {
		return err
	}
	defer os.RemoveAll(t.Root)
	f := &b.fig.big
	f.bytes = t.Bytes
	s, err := b.newOurs("big", t)
	if err != nil {
		return err
	}
	res, err := b.oursBackup(ctx, s)
	if err != nil {
		return err
	}
	f.wall = sample{res.Wall.Seconds()}
	f.mbs = sample{float64(t.Bytes) / 1e6 / res.Wall.Seconds()}
	f.rss = sample{res.RSSMB()}
	f.cores = sample{cores(res)}
	b.logf("big: %.1f s, %.1f MB/s, %.0f MB RSS, %.2f cores", res.Wall.Seconds(), f.mbs[0], res.RSSMB(), cores(res))
	if err := b.bigDirect(ctx, f); err != nil {
		return err
	}
	if b.before == "" {
		return nil
	}
	// The same bytes again: the grid then already holds the shares only
	// if both encoders made the same stream, which they do not.
	bs, err := b.newBeforeAt("big-before", t, b.proxy.url, "")
	if err != nil {
		return err
	}
	res, err = b.oursBackup(ctx, bs)
	if err != nil {
		return err
	}
	f.beforeMBs = sample{float64(t.Bytes) / 1e6 / res.Wall.Seconds()}
	f.beforeRSS = sample{res.RSSMB()}
	f.beforeCores = sample{cores(res)}
	b.logf("big, before: %.1f s, %.1f MB/s, %.0f MB RSS, %.2f cores", res.Wall.Seconds(), f.beforeMBs[0], res.RSSMB(), cores(res))
	return nil
}

// bigDirect backs a file of the same kind up with direct: the gateway
// takes a PUT's whole body before it encodes any of it, so through the web
// API compressing and encoding one file cannot overlap; direct encodes
// each segment as xz hands it over. Its bytes are fresh: the same bytes
// under the gateway's convergence secret would find their shares there.
func (b *bench) bigDirect(ctx context.Context, f *bigFigs) error {
	t, err := b.generate("big", "direct", 0, func(root string, s uint64) (tree, error) {
		return genBig(root, b.prof.BigSize, s)
	})
	if err != nil {
		return err
	}
	defer os.RemoveAll(t.Root)
	s, err := b.newOursAt("big-direct", t, b.proxy.url, b.directYAML())
	if err != nil {
		return err
	}
	res, err := b.oursBackup(ctx, s)
	if err != nil {
		return err
	}
	f.directMBs = sample{float64(t.Bytes) / 1e6 / res.Wall.Seconds()}
	f.directRSS = sample{res.RSSMB()}
	f.directCores = sample{cores(res)}
	b.logf("big, direct: %.1f s, %.1f MB/s, %.0f MB RSS, %.2f cores", res.Wall.Seconds(), f.directMBs[0], res.RSSMB(), cores(res))
	return nil
}

// cores is the client's CPU time per wall second: how many cores it kept
// busy on average.
func cores(r result) float64 { return ratio(r.CPU.Seconds(), r.Wall.Seconds()) }
