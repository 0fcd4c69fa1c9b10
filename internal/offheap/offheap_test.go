package offheap

import (
	"runtime"
	"testing"
)

// TestBufIsOutsideTheHeap: a mapped buffer is usable, zeroed, and does not
// raise the heap the collector sees, which is the point of the package.
func TestBufIsOutsideTheHeap(t *testing.T) {
	const n = 16 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b := New(n)
	defer b.Free()
	runtime.ReadMemStats(&after)
	if !b.Mapped() {
		t.Fatal("buffer not mapped on a unix system")
	}
	if got := b.Bytes(); len(got) != n || cap(got) != n {
		t.Fatalf("len %d cap %d, want %d", len(got), cap(got), n)
	}
	for i, c := range b.Bytes() {
		if c != 0 {
			t.Fatalf("byte %d is %d, want 0", i, c)
		}
	}
	b.Bytes()[n-1] = 7
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 1<<20 {
		t.Errorf("heap grew by %d bytes for a %d-byte buffer", grew, n)
	}
}

func TestFreeTwiceAndEmpty(t *testing.T) {
	b := New(4096)
	b.Free()
	b.Free()
	if b.Bytes() != nil || b.Mapped() {
		t.Error("freed buffer still holds memory")
	}
	e := New(0)
	if len(e.Bytes()) != 0 {
		t.Error("New(0) is not empty")
	}
	e.Free()
}
