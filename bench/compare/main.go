// Command compare benchmarks lafs-backup against `tahoe backup` on one
// real loopback grid (bench/README.md, results in bench/results.md): generated trees, a counting
// proxy in front of the gateway, both tools and plain curl in the same run.
// It prints a Markdown table and, with -results, writes it into a file.
// Run it through bench/run, which builds the binaries first.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/lafs-backup/lafs-backup/testgrid"
)

// profile is the size of the generated trees.
type profile struct {
	Name         string
	SmallFiles   int
	MixedEntries int
	LargeSize    int64 // each of the two large files
	BigSize      int64 // the single compressible file of the memory row
	LitFiles     int   // files of at most 55 bytes (the lit section)
}

var (
	full  = profile{"full", 5000, 50000, 512 << 20, 2 << 30, 50000}
	quick = profile{"quick", 1000, 10000, 64 << 20, 2 << 30, 10000}
)

type bench struct {
	prof     profile
	bin      string // lafs-backup
	tahoe    string
	work     string
	runs     int
	long     time.Duration // a figure whose first run takes longer is not repeated
	parallel int           // curl --parallel-max for the small-file ceiling
	proxy    *proxy
	gridPIDs []int // gateway and storage nodes, for their CPU time
	start    time.Time
	fig      figures
	tiny     bool   // -tiny: for checking the program itself, not a benchmark
	label    string // the profile, plus -only's sections: names the results block

	before      string            // -before: the lafs-backup binary of older code ("" = none)
	beforeLabel string            // -before-label: what that code is
	loads       map[string]string // load average when each section started

	gatewayDir  string // the gateway's node directory, for the direct section
	largeNull   string // the null gateway of the large section (with -before)
	treesDirect bool   // -trees-direct: the small and mixed sections' lafs-backup uploads with direct
}

func main() {
	var b bench
	q := flag.Bool("quick", false, "scaled-down trees (1k files, 10k entries, 2 × 64 MiB) that run in minutes")
	tiny := flag.Bool("tiny", false, "minute trees, only to check that the benchmark program works (figures meaningless)")
	big := flag.Bool("big", false, "also the 2 GiB compressible-file peak-RSS row (several minutes)")
	only := flag.String("only", "", "comma-separated sections to run: scan,small,mixed,large,null,big,lease,lit,direct (default all but big)")
	flag.StringVar(&b.bin, "lafs-backup", "", "the lafs-backup binary to measure (required)")
	flag.StringVar(&b.before, "before", "", "a lafs-backup binary of older code, run beside it in the null, large and big sections (bench/run --before REV builds one)")
	flag.StringVar(&b.beforeLabel, "before-label", "", "what the -before binary is, for the table (e.g. the commit)")
	flag.StringVar(&b.work, "work", "", "working directory for trees, sites and the grid (default: a new temporary directory, removed after)")
	results := flag.String("results", "", "also write the table into this Markdown file (between the generated-block markers)")
	flag.IntVar(&b.runs, "runs", 3, "repetitions of each figure that takes under -long")
	flag.DurationVar(&b.long, "long", time.Minute, "figures whose first run takes longer are measured once")
	flag.IntVar(&b.parallel, "curl-parallel", 8, "curl --parallel-max for the small-file gateway ceiling")
	flag.BoolVar(&b.treesDirect, "trees-direct", false, "lafs-backup uploads the small and mixed trees straight to the storage servers (destination.direct.node_dir), not through the web API: full-size first backups in less time")
	serveNull := flag.Bool("serve-null", false, "only serve the null gateway (printing its URL) until interrupted, to profile lafs-backup by hand")
	flag.Parse()
	if *serveNull {
		if err := serveNullGateway(); err != nil {
			fmt.Fprintln(os.Stderr, "compare:", err)
			os.Exit(1)
		}
		return
	}
	b.prof = full
	if *q {
		b.prof = quick
	}
	if *tiny {
		b.prof, b.tiny = profile{"tiny", 100, 600, 1 << 20, 8 << 20, 300}, true
	}
	sections := map[string]bool{"scan": true, "small": true, "mixed": true, "large": true, "lease": true, "null": true, "big": *big, "lit": true, "direct": true}
	if *only != "" {
		sections = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			sections[strings.TrimSpace(s)] = true
		}
	}
	if b.bin == "" {
		fmt.Fprintln(os.Stderr, "compare: -lafs-backup is required (use bench/run)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	label := b.prof.Name
	if *only != "" {
		label += " --only " + *only
	}
	if b.treesDirect {
		label += " --trees-direct"
	}
	b.label = label
	if err := b.run(ctx, sections, *results, label); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func (b *bench) run(ctx context.Context, sections map[string]bool, results, label string) error {
	b.start = time.Now()
	var err error
	if b.bin, err = filepath.Abs(b.bin); err != nil {
		return err
	}
	if b.before != "" {
		if b.before, err = filepath.Abs(b.before); err != nil {
			return err
		}
	}
	if err := preflight(sections); err != nil {
		return err
	}
	b.loads = map[string]string{}
	if b.tahoe, err = testgrid.FindTahoe(); err != nil {
		return err
	}
	if b.work == "" {
		if b.work, err = os.MkdirTemp("", "lafs-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(b.work)
	} else if err := os.MkdirAll(b.work, 0o755); err != nil {
		return err
	}
	machine := describeMachine(b.tahoe)
	b.logf("profile %s, work dir %s; starting a grid", b.prof.Name, b.work)
	grid, err := testgrid.Start(testgrid.Options{Dir: filepath.Join(b.work, "grid")})
	if err != nil {
		return fmt.Errorf("grid: %w", err)
	}
	defer grid.Stop()
	b.gatewayDir = grid.GatewayDir()
	nodes := []string{grid.GatewayDir()}
	for i := range grid.StorageNodes() {
		nodes = append(nodes, grid.NodeDir(i))
	}
	if b.gridPIDs, err = gridPIDs(nodes); err != nil {
		return fmt.Errorf("grid processes: %w", err)
	}
	if b.proxy, err = startProxy(grid.URL()); err != nil {
		return err
	}
	defer b.proxy.close()
	b.logf("grid up at %s, proxy %s", grid.URL(), b.proxy.url)
	steps := []struct {
		name string
		f    func(context.Context) error
	}{
		{"small", b.smallSection},
		{"mixed", b.mixedSection},
		{"scan", b.scanSection},
		{"large", b.largeSection},
		{"null", b.nullSection},
		{"big", b.bigSection},
		{"lease", b.leaseSection},
		{"lit", b.litSection},
		{"direct", b.directSection},
	}
	for _, s := range steps {
		if !sections[s.name] {
			continue
		}
		b.loads[s.name] = loadAvg()
		b.logf("%s: load average %s", s.name, b.loads[s.name])
		if err := s.f(ctx); err != nil {
			err = fmt.Errorf("%s: %w", s.name, err)
			if len(b.fig.ran) > 0 {
				// What was measured before the failure is kept, under a
				// label of its own: hours of figures are not thrown away.
				b.label = label + " (stopped in " + s.name + ")"
				b.logf("%v; reporting the sections done: %s", err, strings.Join(b.fig.ran, ", "))
				if werr := b.writeReport(machine, results, b.label); werr != nil {
					b.logf("report: %v", werr)
				}
			}
			return err
		}
		b.fig.ran = append(b.fig.ran, s.name)
	}
	return b.writeReport(machine, results, label)
}

// writeReport prints the table of the sections run and writes it into
// results (unless empty) between the markers of label.
func (b *bench) writeReport(machine machine, results, label string) error {
	machine.End = time.Now()
	machine.LoadEnd = loadAvg()
	md := b.report(machine)
	fmt.Println(md)
	if results == "" {
		return nil
	}
	if err := writeResults(results, label, md); err != nil {
		return err
	}
	b.logf("wrote %s", results)
	return nil
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%6.0fs] %s\n", time.Since(b.start).Seconds(), fmt.Sprintf(format, args...))
}

// seed gives each generated tree its own content: same kind, tool and
// repetition, same bytes.
func seed(kind, tool string, rep int) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range []byte(kind + "/" + tool) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h + uint64(rep)
}

func (f *figures) has(section string) bool { return slices.Contains(f.ran, section) }
