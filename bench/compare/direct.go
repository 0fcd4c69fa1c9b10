package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The direct section (issue 13, docs/direct.md): uploads straight to the
// storage servers (destination.direct.node_dir) against the web API and
// tahoe backup, in the same run on the same grid: small-files first
// backups, large files, and lease renewal.

// pathFigs are one upload path's first backups of small trees.
type pathFigs struct {
	rate       sample // objects/s
	cpuMS      sample // client CPU per object, ms
	gatewayMS  sample // gateway CPU per object, ms
	storageMS  sample // CPU of the 4 storage nodes together per object, ms
	gatewayReq sample // requests through the gateway
}

// renewFigs are one path's lease renewals of the same generations.
type renewFigs struct {
	rate      sample // distinct objects renewed per second
	wall      sample // s
	gatewayMS sample // per object
	storageMS sample // per object
	reqs      sample // gateway requests
}

type directFigs struct {
	small                  tree
	web, direct, tahoe     pathFigs
	largeBytes             int64
	largeWeb, largeDirect  sample // MB/s with xz off: the transports alone
	largeRSS               sample // MB, direct
	distinct               int    // objects of the renewed generations
	renewWeb, renewDirect  renewFigs
	renewReqs, renewDirReq requests // last runs, by kind
}

// split is a measured run with the grid's CPU split between the gateway
// (the first of gridPIDs) and the storage nodes.
type split struct {
	result
	gateway, storage time.Duration
}

func (b *bench) measureSplit(ctx context.Context, argv []string, okCodes ...int) (split, error) {
	gw0 := cpuOf(b.gridPIDs[:1])
	res, err := b.measure(ctx, argv, okCodes...)
	gw := cpuOf(b.gridPIDs[:1]) - gw0
	return split{result: res, gateway: gw, storage: res.Grid - gw}, err
}

// directYAML is the configuration that turns the direct path on.
func (b *bench) directYAML() string {
	return fmt.Sprintf("  direct: {node_dir: %q}\n", b.gatewayDir)
}

func (b *bench) directSection(ctx context.Context) error {
	f := &b.fig.direct
	if err := b.directSmall(ctx, f); err != nil {
		return err
	}
	if err := b.directLarge(ctx, f); err != nil {
		return err
	}
	return b.directRenew(ctx, f)
}

// directSmall: first backups of fresh small trees by the three paths in
// turn, b.runs times.
func (b *bench) directSmall(ctx context.Context, f *directFigs) error {
	gen := func(root string, s uint64) (tree, error) { return genSmall(root, b.prof.SmallFiles, s) }
	for rep := range b.runs {
		for _, path := range []string{"web", "direct", "tahoe"} {
			t, err := b.generate("dsmall", path, rep, gen)
			if err != nil {
				return err
			}
			f.small = t
			name := fmt.Sprintf("dsmall-%s-%d", path, rep)
			var r split
			switch path {
			case "tahoe":
				s, err := b.newTahoe(ctx, name, t)
				if err != nil {
					return err
				}
				r, err = b.measureSplit(ctx, []string{b.tahoe, "-d", s.dir, "backup", t.Root, "bench:" + filepath.Base(t.Root)}, 0, 2)
				if err != nil {
					return err
				}
			default:
				extra := ""
				if path == "direct" {
					extra = b.directYAML()
				}
				s, err := b.newOursAt(name, t, b.proxy.url, extra)
				if err != nil {
					return err
				}
				if r, err = b.measureSplit(ctx, []string{b.bin, "-c", s.config, "backup"}); err != nil {
					return err
				}
			}
			pf := map[string]*pathFigs{"web": &f.web, "direct": &f.direct, "tahoe": &f.tahoe}[path]
			pf.add(r, t.Objects())
			b.logf("direct: small %s %d: %.1f s, %.1f objects/s, client CPU %.2f ms/object, gateway %.2f, storage %.2f ms/object, %d gateway requests",
				path, rep, r.Wall.Seconds(), pf.rate[len(pf.rate)-1], pf.cpuMS[len(pf.cpuMS)-1],
				pf.gatewayMS[len(pf.gatewayMS)-1], pf.storageMS[len(pf.storageMS)-1], r.Reqs.total())
			os.RemoveAll(t.Root)
		}
	}
	return nil
}

func (p *pathFigs) add(r split, objects int) {
	per := func(d time.Duration) float64 { return 1000 * d.Seconds() / float64(objects) }
	p.rate = append(p.rate, float64(objects)/r.Wall.Seconds())
	p.cpuMS = append(p.cpuMS, per(r.CPU))
	p.gatewayMS = append(p.gatewayMS, per(r.gateway))
	p.storageMS = append(p.storageMS, per(r.storage))
	p.gatewayReq = append(p.gatewayReq, float64(r.Reqs.total()))
}

// directLarge: the two large files with xz off, through the web API and
// straight to the servers.
func (b *bench) directLarge(ctx context.Context, f *directFigs) error {
	gen := func(root string, s uint64) (tree, error) { return genLarge(root, b.prof.LargeSize, s) }
	for rep := range b.runs {
		long := false
		for _, path := range []string{"web", "direct"} {
			t, err := b.generate("dlarge", path, rep, gen)
			if err != nil {
				return err
			}
			extra := "  encoding: {xz: {enabled: false}}\n"
			if path == "direct" {
				extra += b.directYAML()
			}
			s, err := b.newOursAt(fmt.Sprintf("dlarge-%s-%d", path, rep), t, b.proxy.url, extra)
			if err != nil {
				return err
			}
			r, err := b.measureSplit(ctx, []string{b.bin, "-c", s.config, "backup"})
			if err != nil {
				return err
			}
			f.largeBytes = t.Bytes
			mbs := float64(t.Bytes) / 1e6 / r.Wall.Seconds()
			if path == "web" {
				f.largeWeb = append(f.largeWeb, mbs)
			} else {
				f.largeDirect, f.largeRSS = append(f.largeDirect, mbs), append(f.largeRSS, r.RSSMB())
			}
			b.logf("direct: large %s %d: %.1f s, %.1f MB/s, %.0f MB RSS, client CPU %.1f s, gateway %.1f s, storage %.1f s",
				path, rep, r.Wall.Seconds(), mbs, r.RSSMB(), r.CPU.Seconds(), r.gateway.Seconds(), r.storage.Seconds())
			os.RemoveAll(t.Root)
			long = long || r.Wall >= b.long
		}
		if long {
			break
		}
	}
	return nil
}

// directRenew: 5 generations of a small tree through the web API, then
// `check --leases-only` through the gateway and straight to the servers,
// alternating, b.runs times each.
func (b *bench) directRenew(ctx context.Context, f *directFigs) error {
	s, distinct, err := b.smallGenerations(ctx, "drenew")
	if err != nil {
		return err
	}
	f.distinct = distinct
	cfg, err := os.ReadFile(s.config)
	if err != nil {
		return err
	}
	direct := filepath.Join(s.dir, "site-direct.yaml")
	withDirect := strings.Replace(string(cfg), "destination:\n", "destination:\n"+b.directYAML(), 1)
	if err := os.WriteFile(direct, []byte(withDirect), 0o600); err != nil {
		return err
	}
	for rep := range b.runs {
		for _, c := range []string{s.config, direct} {
			r, err := b.measureSplit(ctx, []string{b.bin, "-c", c, "check", "--leases-only"})
			if err != nil {
				return err
			}
			rf, last := &f.renewWeb, &f.renewReqs
			if c == direct {
				rf, last = &f.renewDirect, &f.renewDirReq
			}
			n := float64(f.distinct)
			rf.rate = append(rf.rate, n/r.Wall.Seconds())
			rf.wall = append(rf.wall, r.Wall.Seconds())
			rf.gatewayMS = append(rf.gatewayMS, 1000*r.gateway.Seconds()/n)
			rf.storageMS = append(rf.storageMS, 1000*r.storage.Seconds()/n)
			rf.reqs = append(rf.reqs, float64(r.Reqs.total()))
			*last = r.Reqs
			b.logf("direct: renew (%s) %d: %.1f s, %.0f objects/s, %d gateway requests, gateway %.2f, storage %.2f ms/object",
				filepath.Base(c), rep, r.Wall.Seconds(), rf.rate[len(rf.rate)-1], r.Reqs.total(),
				rf.gatewayMS[len(rf.gatewayMS)-1], rf.storageMS[len(rf.storageMS)-1])
		}
	}
	return nil
}

func (b *bench) directRows() []row {
	if !b.fig.has("direct") {
		return nil
	}
	f := &b.fig.direct
	d, w, th := &f.direct, &f.web, &f.tahoe
	rw, rt := ratio(d.rate.median(), w.rate.median()), ratio(d.rate.median(), th.rate.median())
	cpu := func(p *pathFigs) string {
		return fmt.Sprintf("gateway %.1f + storage %.1f", p.gatewayMS.median(), p.storageMS.median())
	}
	small := fmt.Sprintf("direct: small tree (%d files, %d dirs), first backup", f.small.Files, f.small.Dirs)
	rows := []row{
		{measure: small + ", objects/s (lafs-backup: `direct`)", ours: d.rate.format(1), tahoe: th.rate.format(1),
			ref: "lafs-backup through the web API: " + w.rate.format(1), target: "≥ 1.6× web API, ≥ 2× tahoe backup",
			verdict: verdict(rw >= 1.6 && rt >= 2, "%.2f× web API, %.2f× tahoe backup", rw, rt)},
		{measure: small + ", client CPU ms per object", ours: d.cpuMS.format(2), tahoe: th.cpuMS.format(2),
			ref: "web API: " + w.cpuMS.format(2), target: "≤ 2 ms", verdict: verdict(d.cpuMS.median() <= 2, "%.2f ms", d.cpuMS.median())},
		{measure: small + ", grid CPU ms per object (medians)", ours: cpu(d), tahoe: cpu(th), ref: "web API: " + cpu(w)},
		{measure: small + ", requests through the gateway", ours: d.gatewayReq.format(0), tahoe: th.gatewayReq.format(0),
			ref: "web API: " + w.gatewayReq.format(0)},
		{measure: fmt.Sprintf("direct: large files (2 × %d MiB, xz off), MB/s", b.prof.LargeSize>>20), ours: f.largeDirect.format(1),
			ref: "web API: " + f.largeWeb.format(1), verdict: fmt.Sprintf("%.2f× web API", ratio(f.largeDirect.median(), f.largeWeb.median()))},
		rssRow("direct: large files, peak RSS, MB", f.largeRSS, nil),
	}
	rd, rg := &f.renewDirect, &f.renewWeb
	renew := fmt.Sprintf("direct: lease renewal of 5 generations (`check --leases-only`, %d distinct objects)", f.distinct)
	return append(rows,
		row{measure: renew + ", objects/s", ours: rd.rate.format(0), ref: "through the gateway: " + rg.rate.format(0),
			verdict: fmt.Sprintf("%.2f× the gateway", ratio(rd.rate.median(), rg.rate.median()))},
		row{measure: "direct: lease renewal, grid CPU ms per object (medians)",
			ours: fmt.Sprintf("gateway %.1f + storage %.1f", rd.gatewayMS.median(), rd.storageMS.median()),
			ref:  fmt.Sprintf("through the gateway: gateway %.1f + storage %.1f", rg.gatewayMS.median(), rg.storageMS.median())},
		row{measure: "direct: lease renewal, gateway requests by kind (last run)", ours: f.renewDirReq.String(),
			ref: "through the gateway: " + f.renewReqs.String()},
	)
}
