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
	"strings"
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
	// ACLs and capabilities set on the tree before the scans, and how
	// many of each the queue recorded (the scan must still read them).
	aclSet, capSet, aclSeen, capSeen int
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
	if err := markACLsAndCaps(t, f); err != nil {
		return err
	}
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
	f.aclSeen, f.capSeen, err = countACLsAndCaps(filepath.Join(s.dir, "queue.txt"))
	b.logf("scan: the queue records %d of %d ACLs and %d of %d capabilities set", f.aclSeen, f.aclSet, f.capSeen, f.capSet)
	return err
}

// markACLsAndCaps gives every 100th file an ACL entry and every 1000th a
// file capability, as a real tree has some: the scan must find them
// (fsmeta reads xattrs where they may be) while find reads none.
func markACLsAndCaps(t tree, f *scanFigs) error {
	var acl, caps []string
	for i, p := range t.absPaths() {
		if i%100 == 0 {
			acl = append(acl, p)
		}
		if i%1000 == 0 {
			caps = append(caps, p)
		}
	}
	for i := 0; i < len(acl); i += 500 {
		args := append([]string{"-m", "u:1000:r"}, acl[i:min(i+500, len(acl))]...)
		if out, err := exec.Command("setfacl", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("setfacl: %w: %s", err, out)
		}
	}
	for i := 0; i < len(caps); i += 500 {
		var args []string // setcap takes CAPS FILE pairs
		for _, p := range caps[i:min(i+500, len(caps))] {
			args = append(args, "cap_net_raw=ep", p)
		}
		if out, err := exec.Command("setcap", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("setcap: %w: %s", err, out)
		}
	}
	f.aclSet, f.capSet = len(acl), len(caps)
	settle() // the changed ctimes, as for a tree written long before
	return nil
}

// countACLsAndCaps counts the queue entries with an ACL and with
// capabilities: the metadata token is uid:gid:mode[/caps[/acl]]
// (docs/queue-format.md).
func countACLsAndCaps(queue string) (acls, caps int, err error) {
	fh, err := os.Open(queue)
	if err != nil {
		return 0, 0, err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, " ", 3)
		if len(fields) < 2 {
			continue
		}
		parts := strings.Split(fields[1], "/")
		if len(parts) > 1 && parts[1] != "" {
			caps++
		}
		if len(parts) > 2 && parts[2] != "" {
			acls++
		}
	}
	return acls, caps, sc.Err()
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
