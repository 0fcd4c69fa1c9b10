package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"
)

// row is one line of the results table.
type row struct{ measure, ours, tahoe, ref, target, verdict string }

func verdict(ok bool, format string, args ...any) string {
	detail := fmt.Sprintf(format, args...)
	if ok {
		return "met (" + detail + ")"
	}
	return "**missed** (" + detail + ")"
}

func (b *bench) report(m machine) string {
	var rows []row
	if f := b.fig.small; f != nil {
		rows = append(rows, b.treeRows(f)...)
	}
	if f := b.fig.mixed; f != nil {
		rows = append(rows, b.treeRows(f)...)
	}
	if b.fig.has("scan") {
		rows = append(rows, b.scanRows()...)
	}
	if b.fig.has("large") {
		rows = append(rows, b.largeRows()...)
	}
	rows = append(rows, b.nullRows()...)
	rows = append(rows, b.bigRows()...)
	rows = append(rows, b.leaseRows()...)
	rows = append(rows, b.litRows()...)
	rows = append(rows, b.directRows()...)

	var sb strings.Builder
	fmt.Fprintf(&sb, "## Results of `bench/run` (%s), %s\n\n", b.label, m.Start.UTC().Format("2006-01-02 15:04 MST"))
	sb.WriteString(b.profileText() + "\n\n")
	fmt.Fprintf(&sb, "Machine: %s, %d cores, %s RAM, Linux %s; %s; %s; lafs-backup at %s. "+
		"Load average %s at the start, %s at the end (the machine is shared); the run took %.0f min.\n\n",
		m.CPU, m.Cores, m.RAM, m.Kernel, m.Go, m.Tahoe, m.Commit, m.LoadStart, m.LoadEnd, m.End.Sub(m.Start).Minutes())
	sb.WriteString(b.loadText())
	sb.WriteString("Cells are the median (min–max, number of runs); a figure whose first run took over a minute ran once. " +
		"Ratios compare medians of the same run.\n\n")
	sb.WriteString("| measure | lafs-backup | tahoe backup | reference | target | verdict |\n")
	sb.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %s |\n", r.measure, dash(r.ours), dash(r.tahoe), dash(r.ref), dash(r.target), dash(r.verdict))
	}
	sb.WriteString(b.details())
	return sb.String()
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func (b *bench) profileText() string {
	p := b.prof
	sizes := fmt.Sprintf("small tree %d files of 1–8 KiB; mixed tree %d entries; large files 2 × %d MiB; big file %d MiB; tiny-file tree %d files",
		p.SmallFiles, p.MixedEntries, p.LargeSize>>20, p.BigSize>>20, p.LitFiles)
	switch p.Name {
	case "full":
		return "Profile **full** (the sizes of issue 8): " + sizes + "."
	case "quick":
		return "Profile **quick** (scaled down with `--quick`, not the sizes of issue 8): " + sizes + "."
	}
	return "Profile **tiny** (a check of the benchmark program; the figures mean nothing): " + sizes + "."
}

func (b *bench) treeRows(f *treeFigs) []row {
	k := f.kind
	if b.treesDirect {
		k += " (lafs-backup with `direct`)"
	}
	t := f.tree
	o, th := &f.ours, &f.tahoe
	rows := []row{
		{measure: fmt.Sprintf("%s: first backup, wall s (%d files, %d dirs, %.1f MB)", k, t.Files, t.Dirs, float64(t.Bytes)/1e6),
			ours: o.firstWall.format(1), tahoe: th.firstWall.format(1)},
	}
	obj := row{measure: k + ": first backup, objects/s", ours: o.firstObjRate.format(1), tahoe: th.firstObjRate.format(1)}
	r := ratio(o.firstObjRate.median(), th.firstObjRate.median())
	if f.kind == "small" {
		obj.ref = fmt.Sprintf("gateway ceiling (curl, %d parallel PUTs, files only): %s", b.parallel, f.ceiling.format(1))
		obj.target = "≥ 3× tahoe backup"
		obj.verdict = verdict(r >= 3, "%.1f×; the ceiling is %.1f× tahoe backup", r, ratio(f.ceiling.median(), th.firstObjRate.median()))
	} else {
		obj.verdict = fmt.Sprintf("%.1f× tahoe backup", r)
	}
	rows = append(rows, obj,
		row{measure: k + ": first backup, MB/s", ours: o.firstMBs.format(2), tahoe: th.firstMBs.format(2)},
		row{measure: k + ": first backup, gateway requests", ours: o.firstReqs.format(0), tahoe: th.firstReqs.format(0)},
		row{measure: k + ": first backup, CPU s of the client process", ours: o.firstCPU.format(1), tahoe: th.firstCPU.format(1)},
		gridCPURow(k, f, b.treesDirect),
	)
	rerun := row{measure: k + ": unchanged rerun, wall s", ours: o.rerunWall.format(2), tahoe: th.rerunWall.format(2)}
	speed := ratio(th.rerunWall.median(), o.rerunWall.median())
	if f.kind == "mixed" && len(o.rerunScan) > 0 {
		scan := ratio(o.rerunWall.median(), o.rerunScan.median())
		rerun.ref = "own phase-one scan (`--queue-only` after each rerun, an untimed one before): " + o.rerunScan.format(2)
		rerun.target = "≥ 30× faster than tahoe backup; ≤ 2× own scan"
		rerun.verdict = verdict(speed >= 30 && scan <= 2, "%.1f× faster; %.2f× scan", speed, scan)
	} else {
		rerun.verdict = fmt.Sprintf("%.1f× faster than tahoe backup", speed)
	}
	reqs := row{measure: k + ": unchanged rerun, gateway requests", ours: o.rerunReqs.format(0), tahoe: th.rerunReqs.format(0),
		target: "0", verdict: verdict(len(o.rerunReqs) > 0 && o.rerunReqs.max() == 0, "max %.0f", maxOr0(o.rerunReqs))}
	rows = append(rows, rerun, reqs,
		row{measure: fmt.Sprintf("%s: rerun after changing 1%% of files (%d), wall s", k, f.touched),
			ours: o.touchWall.format(2), tahoe: th.touchWall.format(2),
			verdict: fmt.Sprintf("%.1f× faster than tahoe backup", ratio(th.touchWall.median(), o.touchWall.median()))},
		row{measure: fmt.Sprintf("%s: rerun after changing 1%% of files, gateway requests", k),
			ours: o.touchReqs.format(0), tahoe: th.touchReqs.format(0)},
		rssRow(k+": peak RSS, MB (every run on this tree)", o.rss, th.rss),
	)
	return rows
}

// gridCPURow shows the CPU the gateway and storage nodes spent per
// request: what bounds the object rate on a small machine. A direct
// backup sends the gateway almost no request: its CPU is per object.
func gridCPURow(k string, f *treeFigs, direct bool) row {
	per := func(cpu, n sample, unit string) string {
		if len(cpu) == 0 {
			return ""
		}
		return fmt.Sprintf("%s (%.0f ms per %s)", cpu.format(1), 1000*ratio(cpu.median(), n.median()), unit)
	}
	perReq := func(cpu, reqs sample) string { return per(cpu, reqs, "request") }
	ours := perReq(f.ours.firstGridCPU, f.ours.firstReqs)
	if direct {
		ours = per(f.ours.firstGridCPU, sample{float64(f.tree.Objects())}, "object")
	}
	r := row{measure: k + ": first backup, CPU s of the grid (gateway + 4 storage nodes)",
		ours: ours, tahoe: perReq(f.tahoe.firstGridCPU, f.tahoe.firstReqs)}
	if len(f.curlGridCPU) > 0 {
		r.ref = "curl: " + perReq(f.curlGridCPU, sample{float64(f.tree.Files)})
	}
	return r
}

func maxOr0(s sample) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	return s.max()
}

// rssLimit is the peak RSS target of every row (issue 15).
const rssLimit = 64

// rssRow shows the largest peak RSS of the runs; the target is on ours.
func rssRow(measure string, ours, tahoe sample) row {
	r := row{measure: measure, target: fmt.Sprintf("< %d MB", rssLimit)}
	if len(ours) > 0 {
		r.ours = fmt.Sprintf("max %.0f (median %.0f)", ours.max(), ours.median())
		r.verdict = verdict(ours.max() < rssLimit, "max %.0f MB", ours.max())
	}
	if len(tahoe) > 0 {
		r.tahoe = fmt.Sprintf("max %.0f (median %.0f)", tahoe.max(), tahoe.median())
	}
	return r
}

func (b *bench) scanRows() []row {
	s := b.fig.scan
	r := ratio(s.oursRate.median(), s.findRate.median())
	return []row{
		{measure: fmt.Sprintf("phase-one scan of the mixed tree (%d entries, warm cache), entries/s", s.entries),
			ours:   s.oursRate.format(0),
			ref:    fmt.Sprintf("`find -printf '%%p %%U:%%G:%%m\\n'`: %s", s.findRate.format(0)),
			target: "≥ 0.5× find", verdict: verdict(r >= 0.5, "%.2f× find", r)},
		{measure: "phase-one scan, wall s", ours: s.oursWall.format(3), ref: "find: " + s.findWall.format(3)},
		{measure: "phase-one scan: ACLs and capabilities set on the tree that the queue recorded",
			ours:   fmt.Sprintf("%d of %d ACLs, %d of %d capabilities", s.aclSeen, s.aclSet, s.capSeen, s.capSet),
			target: "all", verdict: verdict(s.aclSeen == s.aclSet && s.capSeen == s.capSet, "all read")},
	}
}

func (b *bench) largeRows() []row {
	l := b.fig.large
	r := ratio(l.ours.median(), l.curl.median())
	rows := []row{
		{measure: fmt.Sprintf("large files (2 × %d MiB: text, random), MB/s of source bytes", b.prof.LargeSize>>20),
			ours: l.ours.format(1), tahoe: l.tahoe.format(1),
			ref:    "gateway ceiling (2 parallel `curl -T` PUTs of files of the same kind): " + l.curl.format(1),
			target: "≥ 0.8× ceiling", verdict: verdict(r >= 0.8, "%.2f× ceiling; tahoe backup %.2f×", r, ratio(l.tahoe.median(), l.curl.median()))},
	}
	if len(l.before) > 0 {
		q := ratio(l.ours.median(), l.before.median())
		rows = append(rows, row{measure: "large files: lafs-backup against the code before, MB/s",
			ours: l.ours.format(1), ref: "before (" + b.beforeName() + "): " + l.before.format(1),
			target: "≥ 1.6× before", verdict: verdict(q >= 1.6, "%.2f× before", q)})
	}
	if len(l.oursNull) > 0 {
		q := ratio(l.oursNull.median(), l.beforeNull.median())
		rows = append(rows, row{measure: "large files against the null gateway (the client alone, no grid on the cores), MB/s",
			ours:   l.oursNull.format(1) + "; cores busy " + l.oursNullCores.format(2),
			ref:    "before (" + b.beforeName() + "): " + l.beforeNull.format(1) + "; cores busy " + l.beforeNullCores.format(2),
			target: "≥ 1.6× before", verdict: verdict(q >= 1.6, "%.2f× before", q)})
	}
	if len(l.oursDirect) > 0 {
		ref := "lafs-backup through the web API: " + l.ours.format(1)
		v := fmt.Sprintf("%.2f× the web API", ratio(l.oursDirect.median(), l.ours.median()))
		if len(l.before) > 0 {
			q := ratio(l.oursDirect.median(), l.before.median())
			ref += "; before (" + b.beforeName() + "): " + l.before.format(1)
			v = verdict(q >= 1.6, "%.2f× before, %s", q, v)
		}
		rows = append(rows, row{measure: "large files with `direct` (xz on: the gateway's encoding off the cores), MB/s",
			ours: l.oursDirect.format(1) + "; cores busy " + l.oursDirectCores.format(2), ref: ref, verdict: v},
			rssRow("large files with `direct`, xz on: peak RSS, MB", l.oursDirectRSS, nil))
	}
	rows = append(rows,
		row{measure: "large files: cores the client kept busy (CPU s / wall s)", ours: l.oursCores.format(2),
			ref: strings.TrimPrefix(b.beforeRef(l.beforeCores, 2), "; ")},
		row{measure: "large files, lafs-backup with xz off (its transport alone), MB/s", ours: l.oursRaw.format(1),
			ref: "ceiling: " + l.curl.format(1), verdict: fmt.Sprintf("%.2f× ceiling", ratio(l.oursRaw.median(), l.curl.median()))},
		rssRow("large files: peak RSS, MB", l.oursRSS, l.tahoeRSS),
	)
	if len(l.beforeRSS) > 0 {
		rows = append(rows, row{measure: "large files: peak RSS of the code before, MB",
			ref: fmt.Sprintf("before: max %.0f (median %.0f)", l.beforeRSS.max(), l.beforeRSS.median())})
	}
	return rows
}

func (b *bench) bigRows() []row {
	g := b.fig.big
	if len(g.rss) == 0 {
		if !b.fig.has("large") {
			return nil
		}
		return []row{{measure: fmt.Sprintf("one %d MiB compressible file: peak RSS, MB", b.prof.BigSize>>20),
			ours: "not run (`--big`)", target: fmt.Sprintf("< %d MB", rssLimit)}}
	}
	rows := []row{{measure: fmt.Sprintf("one %d MiB compressible file (xz runs): peak RSS, MB", g.bytes>>20),
		ours: g.rss.format(0), ref: fmt.Sprintf("%s s, %s MB/s, %s cores busy", g.wall.format(0), g.mbs.format(1), g.cores.format(2)),
		target: fmt.Sprintf("< %d MB", rssLimit), verdict: verdict(g.rss.max() < rssLimit, "%.0f MB", g.rss.max())}}
	if len(g.beforeMBs) > 0 {
		q := ratio(g.mbs.median(), g.beforeMBs.median())
		rows = append(rows, row{measure: fmt.Sprintf("one %d MiB compressible file: MB/s against the code before", g.bytes>>20),
			ours: g.mbs.format(1),
			ref: fmt.Sprintf("before (%s): %s MB/s, %s MB RSS, %s cores busy", b.beforeName(), g.beforeMBs.format(1),
				g.beforeRSS.format(0), g.beforeCores.format(2)),
			target: "≥ 1.6× before", verdict: verdict(q >= 1.6, "%.2f× before", q)})
	}
	if len(g.directMBs) > 0 {
		rows = append(rows, b.bigDirectRow(g))
	}
	return rows
}

// bigDirectRow compares the 2 GiB file with direct to the web API and,
// when it ran, the code before (which only knew the web API).
func (b *bench) bigDirectRow(g bigFigs) row {
	r := row{measure: fmt.Sprintf("one %d MiB compressible file with `direct`: MB/s", g.bytes>>20),
		ours: fmt.Sprintf("%s; peak RSS %s MB; %s cores busy", g.directMBs.format(1), g.directRSS.format(0), g.directCores.format(2)),
		ref:  "lafs-backup through the web API: " + g.mbs.format(1)}
	web := ratio(g.directMBs.median(), g.mbs.median())
	if len(g.beforeMBs) == 0 {
		r.verdict = fmt.Sprintf("%.2f× the web API", web)
		return r
	}
	q := ratio(g.directMBs.median(), g.beforeMBs.median())
	r.ref += fmt.Sprintf("; before (%s): %s", b.beforeName(), g.beforeMBs.format(1))
	r.target = fmt.Sprintf("≥ 1.6× before; < %d MB", rssLimit)
	r.verdict = verdict(q >= 1.6 && g.directRSS.max() < rssLimit, "%.2f× before, %.2f× the web API", q, web)
	return r
}

// beforeName names the -before binary's code.
func (b *bench) beforeName() string {
	if b.beforeLabel != "" {
		return b.beforeLabel
	}
	return "the -before binary"
}

// loadText lists the load average at the start of each section.
func (b *bench) loadText() string {
	var parts []string
	for _, s := range b.fig.ran {
		parts = append(parts, fmt.Sprintf("%s %s", s, b.loads[s]))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Load average (1, 5, 15 min) when each section started: " + strings.Join(parts, "; ") + ".\n\n"
}

func (b *bench) leaseRows() []row {
	l := b.fig.lease
	if !b.fig.has("lease") {
		return nil
	}
	if l.note != "" || len(l.reqs) == 0 {
		return []row{{measure: "lease renewal of 5 generations", ours: l.note, target: "requests ≤ 1.2 × distinct objects"}}
	}
	r := ratio(l.reqs.median(), float64(l.distinct))
	return []row{
		{measure: fmt.Sprintf("lease renewal of 5 generations of the small tree with `check` (%d distinct objects), requests", l.distinct),
			ours: l.reqs.format(0), target: "≤ 1.2 × distinct objects", verdict: verdict(r <= 1.2, "%.2f× distinct objects", r)},
		{measure: "lease renewal of 5 generations, s", ours: l.seconds.format(1)},
		{measure: "lease renewal: requests by kind (last run)", ours: l.last.String()},
	}
}

// details lists what the request counts were made of.
func (b *bench) details() string {
	var sb strings.Builder
	for _, f := range []*treeFigs{b.fig.small, b.fig.mixed} {
		if f == nil {
			continue
		}
		fmt.Fprintf(&sb, "\nRequests of the last %s reruns, by kind:\n", f.kind)
		fmt.Fprintf(&sb, "- unchanged, lafs-backup: %s\n", dash(f.ours.lastRerun.String()))
		fmt.Fprintf(&sb, "- unchanged, tahoe backup: %s\n", dash(f.tahoe.lastRerun.String()))
		fmt.Fprintf(&sb, "- 1%% changed, lafs-backup: %s\n", dash(f.ours.lastTouch.String()))
		fmt.Fprintf(&sb, "- 1%% changed, tahoe backup: %s\n", dash(f.tahoe.lastTouch.String()))
	}
	return sb.String()
}

// Markers of the generated block of one kind of run (label: the profile,
// plus the sections when -only chose them), so a full run and a quick one
// can sit in one file; each run replaces only its own block.
func markers(label string) (begin, end string) {
	return "<!-- begin generated by bench/run (" + label + "): replaced up to the end marker on the next such run -->",
		"<!-- end generated (" + label + ") -->"
}

// writeResults puts md between the markers of label in path, keeping
// what is written around them by hand; a missing file gets a title, a
// missing block is appended.
func writeResults(path, label, md string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	beginMark, endMark := markers(label)
	block := beginMark + "\n" + md + "\n" + endMark
	text := string(old)
	i, j := strings.Index(text, beginMark), strings.Index(text, endMark)
	switch {
	case i >= 0 && j > i:
		text = text[:i] + block + text[j+len(endMark):]
	case text == "":
		text = "# Benchmark results\n\nWritten by `bench/run` (see bench/README.md).\n\n" + block + "\n"
	default:
		text = strings.TrimRight(text, "\n") + "\n\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
