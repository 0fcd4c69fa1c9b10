// Package offheap allocates big, long-lived buffers outside the Go heap,
// so that they do not count toward the collector's target.
//
// The collector lets the heap grow to about twice what was live after the
// last collection before it collects again (GOGC=100). A buffer that is
// reused for a whole upload is live all along, so on the heap it costs
// about twice its size in peak RSS; mapped outside the heap it costs its
// size (docs/memory.md). Only buffers whose owner knows when the last use
// ends belong here: freed memory is unmapped, and a later access faults.
package offheap

// Buf is a buffer of fixed size. The zero Buf is empty.
type Buf struct {
	b      []byte
	mapped bool
}

// New returns a zeroed buffer of n bytes: mapped outside the heap where
// the system allows, else on the heap (the program still works, with the
// heap's cost).
func New(n int) *Buf {
	if n <= 0 {
		return &Buf{}
	}
	if b, err := mapAnon(n); err == nil {
		return &Buf{b: b, mapped: true}
	}
	return &Buf{b: make([]byte, n)}
}

// Bytes is the buffer, of len and cap n. It is valid until Free.
func (b *Buf) Bytes() []byte { return b.b }

// Mapped reports whether the buffer is outside the heap.
func (b *Buf) Mapped() bool { return b.mapped }

// Free gives the memory back. No slice of the buffer may be used after
// it. Calling it again is a no-op.
func (b *Buf) Free() {
	if b.mapped {
		unmap(b.b)
	}
	b.b, b.mapped = nil, false
}
