package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
)

// leaseFigs: renewing the leases of 5 generations with `check` (no
// arguments: every distinct object the kept backups reach gets one
// add-lease check, then the newest backup is deep-checked).
type leaseFigs struct {
	note     string // why there are no figures
	distinct int    // objects the 5 backups uploaded (PUT /uri, mkdir-immutable)
	reqs     sample
	seconds  sample
	last     requests
}

const generations = 5

var checkCommand = regexp.MustCompile(`(?m)^\s+check\b`)

// hasCheck reports whether the binary lists a check command in its help.
func (b *bench) hasCheck() bool {
	out, _ := exec.Command(b.bin, "--help").CombinedOutput()
	return checkCommand.Match(out)
}

func (b *bench) leaseSection(ctx context.Context) error {
	if !b.hasCheck() {
		b.fig.lease.note = "n/a (check not yet implemented)"
		b.logf("lease: %s", b.fig.lease.note)
		return nil
	}
	f := &b.fig.lease
	s, distinct, err := b.smallGenerations(ctx, "lease")
	if err != nil {
		return err
	}
	f.distinct = distinct
	b.logf("lease: %d generations made, %d distinct objects uploaded", generations, f.distinct)
	for rep := 0; rep < b.runs; rep++ {
		r, err := b.measure(ctx, []string{b.bin, "-c", s.config, "check"})
		if err != nil {
			return err
		}
		f.reqs = append(f.reqs, float64(r.Reqs.total()))
		f.seconds = append(f.seconds, r.Wall.Seconds())
		f.last = r.Reqs
		b.logf("lease: check %d: %d requests in %.1f s, grid CPU %.1f s", rep, r.Reqs.total(), r.Wall.Seconds(), r.Grid.Seconds())
		if r.Wall >= b.long {
			break
		}
	}
	if f.distinct == 0 {
		return fmt.Errorf("the %d backups uploaded nothing", generations)
	}
	return nil
}

// smallGenerations backs up `generations` versions of a fresh small tree
// (1% of its files rewritten between two) through the web API, for the
// lease-renewal rows, and returns the site and how many distinct objects
// the backups uploaded.
func (b *bench) smallGenerations(ctx context.Context, name string) (*oursSite, int, error) {
	t, err := b.generate(name, "ours", 0, func(root string, s uint64) (tree, error) {
		return genSmall(root, b.prof.SmallFiles, s)
	})
	if err != nil {
		return nil, 0, err
	}
	s, err := b.newOurs(name, t)
	if err != nil {
		return nil, 0, err
	}
	distinct := 0
	for gen := range generations {
		if gen > 0 {
			if _, err := touch(t, 0.01, gen); err != nil {
				return nil, 0, err
			}
		}
		r, err := b.oursBackup(ctx, s)
		if err != nil {
			return nil, 0, err
		}
		distinct += r.Reqs["PUT /uri"] + r.Reqs["POST /uri?t=mkdir-immutable"]
	}
	return s, distinct, nil
}
