package direct

import (
	"sync"
	"sync/atomic"
)

// buffers keeps the big buffers of a streamed upload (segment blocks and
// share chunks) for the next one. Large files stream one at a time and
// all have the same block size (their segment size is the maximum), so
// one set serves them all: a backup of many large files makes no garbage
// of their size, which the GC would otherwise let pile up to the size of
// the live heap before collecting it (docs/direct.md, Writing and
// memory). The set stays allocated after the first large file, until the
// client is dropped.
type buffers struct {
	mu     sync.Mutex
	segs   []*segment
	chunks [][]byte
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
		var s *segment
		for s == nil && len(b.segs) > 0 {
			s, b.segs = b.segs[len(b.segs)-1], b.segs[:len(b.segs)-1]
			if len(s.blocks) != n || cap(s.blocks[0]) < bs {
				s = nil // another geometry: let it go
			}
		}
		if s == nil {
			s = &segment{blocks: make([][]byte, n)}
			mem := make([]byte, n*bs)
			for i := range s.blocks {
				s.blocks[i] = mem[i*bs : (i+1)*bs : (i+1)*bs]
			}
		}
		s.home = r.free
		r.free <- s
	}
	return r
}

// putRing keeps the ring's segments once the upload is over and every
// share's goroutine has ended; any not back in free are left to the GC.
func (b *buffers) putRing(r *ring) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		select {
		case s := <-r.free:
			s.home = nil
			if len(b.segs) < maxKept {
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
	for len(b.chunks) > 0 {
		c := b.chunks[len(b.chunks)-1]
		b.chunks = b.chunks[:len(b.chunks)-1]
		if cap(c) == size {
			return c[:0]
		}
	}
	return make([]byte, 0, size)
}

func (b *buffers) putChunk(c []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.chunks) < maxKept {
		b.chunks = append(b.chunks, c[:0])
	}
}
