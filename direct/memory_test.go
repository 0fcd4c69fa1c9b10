package direct_test

import (
	"runtime"
	"sync"
	"testing"

	"github.com/lafs-backup/lafs-backup/direct"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestLargeUploadMemoryIsBounded: large uploads reuse one set of buffers,
// from segment to segment and from file to file, and large files uploaded
// at once stream one after the other, so they share it (docs/direct.md,
// Writing and memory). On the shared 2-of-4 grid a set is 8 MiB: two
// segments' blocks (2 MiB each) and a 1 MiB chunk per share. Blocks
// allocated afresh would be 2 MiB per segment (64 MiB for the 32 MiB
// file); files streaming at once, a set each.
func TestLargeUploadMemoryIsBounded(t *testing.T) {
	skipShort(t)
	f := realGrid(t, testgrid.Shared(t), direct.Options{})
	ctx := t.Context()
	put := func(sizes ...int64) (uint64, []*opener, []string) {
		t.Helper()
		os := make([]*opener, len(sizes))
		for i, size := range sizes {
			os[i] = &opener{data: randomBytes(size)}
		}
		caps := make([]string, len(sizes))
		errs := make([]error, len(sizes))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var wg sync.WaitGroup
		for i, o := range os {
			wg.Go(func() { caps[i], errs[i] = f.d.PutFile(ctx, o.open, int64(len(o.data))) })
		}
		wg.Wait()
		runtime.ReadMemStats(&after)
		for _, err := range errs {
			must(t, err)
		}
		return after.TotalAlloc - before.TotalAlloc, os, caps
	}
	put(3 << 20) // connections, and the set of buffers
	// Less than a set: what is left is per request (the HTTP transport's
	// copy buffer, headers, answers), about 3% of the share bytes.
	const limit = 6 << 20
	if n, _, _ := put(32 << 20); n > limit {
		t.Errorf("a 32 MiB file allocated %.1f MiB, want at most %d", float64(n)/(1<<20), limit>>20)
	}
	n, os, caps := put(8<<20, 8<<20, 8<<20)
	if n > limit {
		t.Errorf("three 8 MiB files at once allocated %.1f MiB, want at most %d", float64(n)/(1<<20), limit>>20)
	}
	f.readBack(t, caps[2], os[2].data) // encoded in reused buffers
}
