// Command phase1 measures the phase-one scan (queue.WriteFile) against
// `find -printf '%p %U:%G:%m\n'` on the same generated tree, warm cache,
// and prints the median of several runs. It is a benchmark, not a test:
// run it through bench/phase1.sh.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/lafs-backup/lafs-backup/queue"
)

func main() {
	entries := flag.Int("entries", 50000, "approximate number of entries to generate")
	dir := flag.String("dir", "", "where to generate the tree (default: a temporary directory, removed after)")
	runs := flag.Int("runs", 3, "runs per tool; the median is printed")
	readers := flag.Int("readers", 0, "queue.BuildOptions.Readers (0: default)")
	flag.Parse()
	if err := run(*entries, *dir, *runs, *readers); err != nil {
		fmt.Fprintln(os.Stderr, "phase1:", err)
		os.Exit(1)
	}
}

func run(entries int, dir string, runs, readers int) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "phase1-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	tree := filepath.Join(dir, "tree")
	n, err := generate(tree, entries)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	out := filepath.Join(dir, "out")
	if _, err := findScan(tree, out); err != nil { // warm the cache
		return err
	}
	goTimes, goEntries, err := measure(runs, func() (int64, error) {
		st, err := queue.WriteFile(context.Background(), out, tree, queue.BuildOptions{Readers: readers})
		return st.Entries, err
	})
	if err != nil {
		return err
	}
	findTimes, findEntries, err := measure(runs, func() (int64, error) { return findScan(tree, out) })
	if err != nil {
		return err
	}
	report(n, runs, goTimes, goEntries, findTimes, findEntries)
	return nil
}

// generate makes dirs of 100 files (small contents) under 10-way fan-out
// directories until about n entries exist; it returns the entry count.
func generate(root string, n int) (int, error) {
	count := 0
	for top := 0; count < n; top++ {
		for sub := 0; sub < 10 && count < n; sub++ {
			d := filepath.Join(root, fmt.Sprintf("top-%03d", top), fmt.Sprintf("sub-%02d", sub))
			if err := os.MkdirAll(d, 0o755); err != nil {
				return 0, err
			}
			count++
			if sub == 0 {
				count++
			}
			for f := 0; f < 100 && count < n; f++ {
				p := filepath.Join(d, fmt.Sprintf("file-%03d.txt", f))
				if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
					return 0, err
				}
				count++
			}
		}
	}
	return count + 1, nil // + root
}

func findScan(tree, out string) (int64, error) {
	f, err := os.Create(out + ".find")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cmd := exec.Command("find", tree, "-printf", `%p %U:%G:%m\n`)
	cmd.Stdout = f
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("find: %w", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return 0, err
	}
	var lines int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines++
	}
	return lines, sc.Err()
}

func measure(runs int, f func() (int64, error)) ([]time.Duration, int64, error) {
	var times []time.Duration
	var n int64
	for range runs {
		start := time.Now()
		k, err := f()
		if err != nil {
			return nil, 0, err
		}
		times = append(times, time.Since(start))
		n = k
	}
	slices.Sort(times)
	return times, n, nil
}

func report(n, runs int, goT []time.Duration, goN int64, fT []time.Duration, fN int64) {
	med := func(ts []time.Duration) time.Duration { return ts[len(ts)/2] }
	rate := func(k int64, d time.Duration) float64 { return float64(k) / d.Seconds() }
	fmt.Printf("phase one scan: %d entries generated, warm cache, median of %d runs\n", n, runs)
	fmt.Printf("%-34s %9s %12s %10s\n", "tool", "entries", "seconds", "entries/s")
	fmt.Printf("%-34s %9d %12.3f %10.0f\n", "lafs-backup queue.WriteFile", goN, med(goT).Seconds(), rate(goN, med(goT)))
	fmt.Printf("%-34s %9d %12.3f %10.0f\n", "find -printf '%p %U:%G:%m\\n'", fN, med(fT).Seconds(), rate(fN, med(fT)))
	fmt.Printf("WriteFile / find rate: %.2f (WriteFile also reads xattrs for ACLs and caps, escapes, checksums and fsyncs)\n",
		rate(goN, med(goT))/rate(fN, med(fT)))
}
