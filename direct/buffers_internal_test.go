package direct

import (
	"runtime"
	"testing"
)

// TestBuffersMapOneGeometryAndKeepIt: the first geometry's set is mapped
// outside the heap and reused from upload to upload; another geometry
// gets heap buffers and does not push the mapped ones out
// (docs/memory.md).
func TestBuffersMapOneGeometryAndKeepIt(t *testing.T) {
	var b buffers
	const n, bs, chunk = 4, 512 << 10, 1 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := b.ring(n, bs, chunk)
	c := b.chunk(chunk)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
		t.Errorf("a set of %d MiB allocated %d bytes on the heap", (2*n*bs+chunk)>>20, grew)
	}
	first := map[*byte]bool{&c[:1][0]: true}
	for range len(r.free) {
		s := <-r.free
		first[&s.blocks[0][0]] = true
		r.free <- s
	}
	b.putChunk(c)
	b.putRing(r)

	other := b.ring(3, 4096, 8192) // another geometry: heap, and kept apart
	b.putRing(other)
	b.putChunk(b.chunk(8192))

	r = b.ring(n, bs, chunk)
	defer b.putRing(r)
	for range len(r.free) {
		s := <-r.free
		if !first[&s.blocks[0][0]] {
			t.Error("a segment of the first geometry was allocated again")
		}
		r.free <- s
	}
	if c := b.chunk(chunk); !first[&c[:1][0]] {
		t.Error("the chunk was allocated again")
	}
}
