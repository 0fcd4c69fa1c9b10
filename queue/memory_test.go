package queue

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/needs"
)

// genFS is a generated tree, never held in memory: every directory above
// depth has width subdirectories and width files; the deepest have width
// files. It samples the live heap every 1000 reads.
type genFS struct {
	width, depth int
	reads        atomic.Int64
	mu           sync.Mutex
	peak         uint64
}

func (g *genFS) level(p string) int {
	if p == memRoot {
		return 0
	}
	return strings.Count(strings.TrimPrefix(p, memRoot), "/")
}

func (g *genFS) OpenDir(p string) (Dir, error) { return openPathDir(g, p) }

func (g *genFS) ReadDir(p string) ([]DirEntry, error) {
	var out []DirEntry
	for i := range g.width {
		out = append(out, DirEntry{Name: fmt.Sprintf("file-%04d.dat", i), Type: fsmeta.TypeFile})
		if g.level(p) < g.depth {
			out = append(out, DirEntry{Name: fmt.Sprintf("dir-%04d", i), Type: fsmeta.TypeDir})
		}
	}
	return out, nil
}

func (g *genFS) Read(p string, _ fsmeta.Options) (fsmeta.Meta, error) {
	if g.reads.Add(1)%1000 == 0 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		g.mu.Lock()
		g.peak = max(g.peak, ms.HeapAlloc)
		g.mu.Unlock()
	}
	if p == memRoot || strings.HasPrefix(filepath.Base(p), "dir-") {
		return meta(fsmeta.TypeDir, 0o755), nil
	}
	return meta(fsmeta.TypeFile, 0o644), nil
}

func (g *genFS) Head(p string, _ int) ([]byte, error) {
	return nil, &fs.PathError{Op: "open", Path: p, Err: syscall.ENOENT}
}

// The walk's memory follows depth × width, not the number of entries:
// trees of 2k to 120k entries peak at about the same live heap.
func TestWalkMemoryFlat(t *testing.T) {
	needs.Long(t, "building a 120k-entry queue")
	var peaks []uint64
	for _, depth := range []int{2, 3, 4} {
		g := &genFS{width: 10, depth: depth}
		st, err := WriteFile(context.Background(), filepath.Join(t.TempDir(), "q"), memRoot, BuildOptions{FS: g})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("depth %d: %d entries, peak live heap %d KiB", depth, st.Entries, g.peak>>10)
		peaks = append(peaks, g.peak)
	}
	if peaks[2] > 2*peaks[0]+(512<<10) {
		t.Errorf("peak live heap grew with tree size: %v", peaks)
	}
}
