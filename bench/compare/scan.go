package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// scanFigs compare phase one (`backup --queue-only`, the whole command:
// start-up, config, lock, walk with ACL/caps xattrs, queue file written
// and fsynced) with `find -printf` over the same warm tree.
type scanFigs struct {
	entries    int
	oursRate   sample // entries/s
	oursWall   sample // s
	findRate   sample
	findWall   sample
	findOutput int // lines find printed
	oursRSS    sample
}

var queueLine = regexp.MustCompile(`queue: (\d+) entries`)

func (b *bench) scanSection(ctx context.Context) error {
	var t tree
	if mixedOurs != nil {
		t = mixedOurs.tree
	} else {
		var err error
		if t, err = b.generate("mixed", "ours", 0, func(root string, s uint64) (tree, error) {
			return genMixed(root, b.prof.MixedEntries, s)
		}); err != nil {
			return err
		}
	}
	s, err := b.newOurs("scan", t)
	if err != nil {
		return err
	}
	f := &b.fig.scan
	if _, err := b.find(t.Root); err != nil { // warm the cache
		return err
	}
	for rep := range b.runs {
		r, err := b.oursBackup(ctx, s, "--queue-only")
		if err != nil {
			return err
		}
		m := queueLine.FindStringSubmatch(r.Stderr)
		if m == nil {
			return fmt.Errorf("backup --queue-only did not report its entries: %s", tail(r.Stderr, 5))
		}
		f.entries, _ = strconv.Atoi(m[1])
		f.oursWall = append(f.oursWall, r.Wall.Seconds())
		f.oursRate = append(f.oursRate, float64(f.entries)/r.Wall.Seconds())
		f.oursRSS = append(f.oursRSS, r.RSSMB())
		d, err := b.find(t.Root)
		if err != nil {
			return err
		}
		f.findWall = append(f.findWall, d.Seconds())
		f.findRate = append(f.findRate, float64(f.findOutput)/d.Seconds())
		b.logf("scan %d: lafs-backup %d entries in %.3f s; find %d lines in %.3f s", rep, f.entries, r.Wall.Seconds(), f.findOutput, d.Seconds())
	}
	return nil
}

// find runs `find ROOT -printf '%p %U:%G:%m\n'` into a file and counts its
// lines (after the clock stops).
func (b *bench) find(root string) (time.Duration, error) {
	out := filepath.Join(b.work, "find.out")
	fh, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	cmd := exec.Command("find", root, "-printf", `%p %U:%G:%m\n`)
	cmd.Stdout = fh
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("find: %w", err)
	}
	d := time.Since(start)
	if _, err := fh.Seek(0, 0); err != nil {
		return 0, err
	}
	n := 0
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		n++
	}
	b.fig.scan.findOutput = n
	return d, sc.Err()
}
