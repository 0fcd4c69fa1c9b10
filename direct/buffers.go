package direct

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/lafs-backup/lafs-backup/internal/offheap"
)

// buffers keeps the big buffers of a streamed upload (segment blocks and
// share chunks) for the next one. Large files stream one at a time and
// all have the same block size (their segment size is the maximum), so
// one set serves them all: a backup of many large files makes no garbage
// of their size, which the GC would otherwise let pile up to the size of
// the live heap before collecting it (docs/direct.md, Writing and
// memory). The set stays allocated after the first large file.
//
// The set of the first geometry (shares, block and chunk sizes: one per
// client in practice) is mapped outside the Go heap, where it does not
// raise the collector's target by its size, and is never unmapped: the
// HTTP transport may still read a request body after the request
// returned, so no chunk's memory may ever fault. Another geometry's
// buffers are on the heap, left to the collector when they no longer fit.
type buffers struct {
	mu       sync.Mutex
	segs     []*segment
	chunks   [][]byte
	segSize  int // the block size of the mapped segments; 0 before any
	segN     int
	chunkLen int // the mapped chunks' size; 0 before any
}

// maxKept bounds each free list; one upload uses at most a few segments
// and one chunk per share.
const maxKept = 64

// segment holds one segment's blocks, one per share, while the shares'
// goroutines copy them out; refs counts those that have not yet.
type segment struct {
	blocks [][]byte
	refs   atomic.Int32
	home   chan *segment // the ring it goes back to
}

// release is one share's goroutine done with the segment; the last one
// gives it back to its ring. A nil segment (header, trailer) is a no-op.
func (s *segment) release() {
	if s != nil && s.refs.Add(-1) == 0 {
		s.home <- s
	}
}

// ring is the segment buffers of one upload; free holds those not in use.
type ring struct {
	free chan *segment
}

// ring gives an upload its segment buffers, for n shares and blocks of bs
// bytes: enough that, while a share sends a chunk (of chunk bytes), the
// encoder can fill the blocks of the next one, and at least two.
func (b *buffers) ring(n, bs, chunk int) *ring {
	depth := max(2, (chunk+bs-1)/bs)
	r := &ring{free: make(chan *segment, depth)}
	b.mu.Lock()
	defer b.mu.Unlock()
	for range depth {
		s := b.takeSegment(n, bs)
		if s == nil {
			s = b.newSegment(n, bs)
		}
		s.home = r.free
		r.free <- s
	}
	return r
}

// takeSegment takes a kept segment of this geometry, if there is one.
// Called with b.mu held.
func (b *buffers) takeSegment(n, bs int) *segment {
	for i, s := range slices.Backward(b.segs) {
		if s.is(n, bs) {
			b.segs = slices.Delete(b.segs, i, i+1)
			return s
		}
	}
	return nil
}

// newSegment allocates a segment's blocks: mapped for the first
// geometry, on the heap for another. Called with b.mu held.
func (b *buffers) newSegment(n, bs int) *segment {
	if b.segSize == 0 {
		b.segSize, b.segN = bs, n
	}
	s := &segment{blocks: make([][]byte, n)}
	var mem []byte
	if n == b.segN && bs == b.segSize {
		mem = offheap.New(n * bs).Bytes()
	} else {
		mem = make([]byte, n*bs)
	}
	for i := range s.blocks {
		s.blocks[i] = mem[i*bs : (i+1)*bs : (i+1)*bs]
	}
	return s
}

// putRing keeps the ring's segments once the upload is over and every
// share's goroutine has ended. All are back in free by then: each
// goroutine releases every piece it is given, and the encoder puts back
// the segment it holds when it stops early.
func (b *buffers) putRing(r *ring) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		select {
		case s := <-r.free:
			s.home = nil
			if len(b.segs) < maxKept || s.is(b.segN, b.segSize) { // a mapped one is never let go
				b.segs = append(b.segs, s)
			}
		default:
			return
		}
	}
}

// chunk is an empty buffer of capacity size.
func (b *buffers) chunk(size int) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, c := range slices.Backward(b.chunks) {
		if cap(c) == size {
			b.chunks = slices.Delete(b.chunks, i, i+1)
			return c[:0]
		}
	}
	if b.chunkLen == 0 {
		b.chunkLen = size
	}
	if size == b.chunkLen {
		return offheap.New(size).Bytes()[:0]
	}
	return make([]byte, 0, size)
}

func (b *buffers) putChunk(c []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.chunks) < maxKept || cap(c) == b.chunkLen {
		b.chunks = append(b.chunks, c[:0])
	}
}

// is reports whether s has n blocks of bs bytes.
func (s *segment) is(n, bs int) bool { return len(s.blocks) == n && cap(s.blocks[0]) == bs }
