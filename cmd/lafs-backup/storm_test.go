package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/testgrid"
)

// stormTree writes dirs directories of files files each (dirs·files +
// dirs + 2 objects with the root and the wrapper), every file over 55
// bytes (a CHK upload) and different for each seed, a third of them
// compressible.
func stormTree(t *testing.T, root string, dirs, files int, seed uint64) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 1))
	for d := range dirs {
		for f := range files {
			data := make([]byte, 100+rnd.IntN(4000))
			for i := range data {
				data[i] = byte(rnd.UintN(256))
			}
			if f%3 == 0 {
				for i := range data {
					data[i] = 'a' + data[i]%4
				}
			}
			mustWrite(t, filepath.Join(root, fmt.Sprintf("d%02d/f%03d", d, f)), data)
		}
	}
}

// stormSite is a site with the default configuration but for the paths:
// the default retry schedule [10, 60, 600] s and 4 attempts.
func stormSite(t *testing.T, url string) *site {
	t.Helper()
	dir := t.TempDir()
	s := &site{dir: dir, snaps: filepath.Join(dir, "snaps"), config: filepath.Join(dir, "site.yaml")}
	cfg := fmt.Sprintf("source:\n  path: %[1]s/snaps/snap.*\n  queue: {path: %[1]s/queue.txt}\n"+
		"  entry_cache: {path: %[1]s/cache.sqlite}\ndestination:\n  url: %[2]s\n", dir, url)
	if err := os.WriteFile(s.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBackupFinishesInAFaultStorm is issue 14's acceptance for retries
// (docs/lafsapi.md, Retries): a 600-object backup through a proxy that
// fails 18% of the requests at random (503, 500 "not enough servers",
// dropped connections, answers lost after the gateway did the work), with
// the default configuration, finishes in one run, complete, within three
// times a clean run of the same shape plus a minute. Before the policy
// told isolated failures from a failing grid, such a run met the 600 s
// delay several times and took far longer.
func TestBackupFinishesInAFaultStorm(t *testing.T) {
	g := testgrid.Shared(t)
	const dirs, files = 24, 24 // 576 files + 24 dirs + root + wrapper
	clean := stormSite(t, g.URL())
	stormTree(t, filepath.Join(clean.snaps, "snap.1"), dirs, files, 1)
	start := time.Now()
	if code, _, errOut := clean.backup(t); code != 0 {
		t.Fatalf("clean backup: exit %d\n%s", code, errOut)
	}
	cleanTime := time.Since(start)

	storm := testgrid.NewStormProxy(t, g.URL(), 0.18, 14)
	s := stormSite(t, storm.URL())
	src := filepath.Join(s.snaps, "snap.1")
	stormTree(t, src, dirs, files, 2) // other content: nothing is on the grid yet
	start = time.Now()
	code, _, errOut := s.backup(t)
	stormTime := time.Since(start)
	if code != 0 {
		t.Fatalf("backup in the storm: exit %d after %v\n%s", code, stormTime, errOut)
	}
	t.Logf("clean %v, storm %v; faults injected: 503 %d, 500 %d, dropped %d, lost answers %d; passed %d",
		cleanTime, stormTime, storm.Injected(testgrid.Fault503), storm.Injected(testgrid.Fault500),
		storm.Injected(testgrid.FaultDrop), storm.Injected(testgrid.FaultLostAnswer), storm.Passed())
	for f := range testgrid.Fault(4) {
		if storm.Injected(f) == 0 {
			t.Fatalf("fault kind %d never injected: the storm proves nothing", f)
		}
	}
	if limit := 3*cleanTime + time.Minute; stormTime > limit {
		t.Errorf("the storm run took %v, more than 3 × %v + 1m", stormTime, cleanTime)
	}
	// Complete: the tree verifies against its source, content included.
	if code, out, errOut := runMain(t, "-c", s.config, "verify", "snap.1", src, "--content"); code != 0 {
		t.Fatalf("verify after the storm: exit %d\n%s%s", code, out, errOut)
	}
}
