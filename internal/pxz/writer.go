package pxz

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"runtime"
	"sync"

	"github.com/ulikunitz/xz/lzma"

	"github.com/lafs-backup/lafs-backup/internal/offheap"
)

// Defaults used when the corresponding Options field is zero.
const (
	// 1 MiB blocks with a 512 KiB dictionary: measured on 64 MiB of
	// Python sources, output 2.5% larger than with 2 MiB and 1 MiB, for
	// half the memory (internal/pxz/bench_test.go).
	DefaultBlockSize = 1 << 20
	DefaultDictCap   = 512 << 10
)

// Limits of Options.BlockSize and Options.DictCap.
const (
	MinBlockSize = 64 << 10
	MaxBlockSize = 256 << 20
	MinDictCap   = lzma.MinDictCap
)

// Options configure a Writer.
type Options struct {
	// BlockSize is the uncompressed size of every block but the last.
	// 0 means DefaultBlockSize. It changes the output.
	BlockSize int
	// DictCap is the LZMA2 dictionary of each block, at most BlockSize
	// (a larger one could only hold bytes of the same block). 0 means
	// DefaultDictCap, lowered to BlockSize. It changes the output.
	DictCap int
	// Jobs is how many blocks are compressed at once. 0 means
	// runtime.GOMAXPROCS(0). It never changes the output.
	Jobs int
}

// withDefaults fills zero fields and checks the others.
func (o Options) withDefaults() (Options, error) {
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.DictCap == 0 {
		o.DictCap = min(DefaultDictCap, o.BlockSize)
	}
	if o.Jobs == 0 {
		o.Jobs = runtime.GOMAXPROCS(0)
	}
	switch {
	case o.BlockSize < MinBlockSize || o.BlockSize > MaxBlockSize:
		return o, fmt.Errorf("pxz: block size %d is outside [%d, %d]", o.BlockSize, MinBlockSize, MaxBlockSize)
	case o.DictCap < MinDictCap || o.DictCap > o.BlockSize:
		return o, fmt.Errorf("pxz: dictionary %d is outside [%d, block size %d]", o.DictCap, MinDictCap, o.BlockSize)
	case o.Jobs < 0:
		return o, fmt.Errorf("pxz: negative jobs %d", o.Jobs)
	}
	return o, nil
}

// Memory estimates the bytes a Writer with these options holds at most:
// Jobs encoders on the heap, and Jobs+1 blocks of input and output room
// mapped outside it (internal/offheap). Each block allocates a new
// encoder, about 2 bytes of garbage per input byte, so with GOGC=100 the
// heap a Writer needs is about twice its encoders; the blocks, live all
// along, cost their size only (docs/memory.md).
func (o Options) Memory() int64 {
	o, err := o.withDefaults()
	if err != nil {
		return 0
	}
	return int64(o.Jobs)*encoderMemory(o.DictCap) + int64(o.Jobs+1)*int64(o.blockMem())
}

// encoderMemory is what one ulikunitz/xz LZMA2 encoder allocates for a
// dictionary (its hash table matcher: a table of 8-byte heads of 2^e
// entries, e = log2(dict)-1 clamped to [9, 20], a 4-byte link per
// dictionary byte, the dictionary and a 64 KiB chunk buffer).
func encoderMemory(dict int) int64 {
	e := 0
	for 1<<(e+1) <= dict {
		e++
	}
	e = min(max(e-1, 9), 20)
	return 8<<e + 5*int64(dict) + 128<<10
}

// A Writer compresses what is written to it into one .xz stream on the
// underlying writer. Close must be called: it writes the last block, the
// index and the footer, and stops the Writer's goroutines. A Writer is
// not safe for concurrent use.
type Writer struct {
	w    io.Writer
	o    Options
	prop byte

	cur   *block       // being filled; nil between blocks
	made  int          // blocks allocated, at most Jobs+1
	mem   *offheap.Buf // every block's input and output, until Close
	free  chan *block  // blocks to fill again
	work  chan *block  // to the workers
	order chan *block  // to the output goroutine, in input order
	done  chan struct{}
	jobs  sync.WaitGroup

	mu     sync.Mutex
	err    error // first error of a worker or of the underlying writer
	closed bool
	recs   []record // the index, kept by the output goroutine
}

// block is one input block and, once compressed, its output.
type block struct {
	in    []byte
	out   bytes.Buffer
	crc   uint64
	err   error
	ready chan struct{}
}

// NewWriter returns a Writer that writes to w. It starts Jobs worker
// goroutines and one that writes the blocks in order.
func NewWriter(w io.Writer, o Options) (*Writer, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	zw := &Writer{
		w: w, o: o, prop: dictProp(o.DictCap),
		mem:   offheap.New((o.Jobs + 1) * o.blockMem()),
		free:  make(chan *block, o.Jobs+1),
		work:  make(chan *block, o.Jobs+1),
		order: make(chan *block, o.Jobs+1),
		done:  make(chan struct{}),
	}
	for range o.Jobs {
		zw.jobs.Go(zw.worker)
	}
	go zw.output()
	return zw, nil
}

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("pxz: writer closed")

// Write compresses p. An error of the underlying writer is returned by a
// later Write or by Close.
func (zw *Writer) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		b, err := zw.block()
		if err != nil {
			return n, err
		}
		k := copy(b.in[len(b.in):cap(b.in)], p)
		b.in = b.in[:len(b.in)+k]
		n, p = n+k, p[k:]
		zw.submitIfFull()
	}
	return n, nil
}

// ReadFrom compresses what r gives until EOF, reading straight into the
// block buffers (io.Copy uses it).
func (zw *Writer) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	for {
		b, err := zw.block()
		if err != nil {
			return n, err
		}
		k, err := io.ReadFull(r, b.in[len(b.in):cap(b.in)])
		b.in = b.in[:len(b.in)+k]
		n += int64(k)
		zw.submitIfFull()
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return n, nil
		case err != nil:
			return n, err
		}
	}
}

// block returns the block being filled, taking a free one if needed.
func (zw *Writer) block() (*block, error) {
	if err := zw.failed(); err != nil {
		return nil, err
	}
	if zw.cur != nil {
		return zw.cur, nil
	}
	if zw.made <= zw.o.Jobs {
		zw.cur = zw.newBlock(zw.made)
		zw.made++
	} else {
		zw.cur = <-zw.free
	}
	return zw.cur, nil
}

// outRoom is the room for a block's compressed output: LZMA2 stores
// incompressible data in chunks of at most 64 KiB with a 3-byte header,
// so the block size and a little more. Larger output still works: its
// buffer then grows on the heap.
func outRoom(blockSize int) int { return blockSize + blockSize>>6 + 4096 }

// blockMem is one block's input and output room.
func (o Options) blockMem() int { return o.BlockSize + outRoom(o.BlockSize) }

// newBlock is block i, its input and output in zw.mem: buffers that live
// as long as the Writer, outside the heap the collector sizes itself to
// (docs/memory.md).
func (zw *Writer) newBlock(i int) *block {
	size := zw.o.blockMem()
	mem := zw.mem.Bytes()[i*size : (i+1)*size : (i+1)*size]
	b := &block{in: mem[:0:zw.o.BlockSize], ready: make(chan struct{}, 1)}
	b.out = *bytes.NewBuffer(mem[zw.o.BlockSize:zw.o.BlockSize])
	return b
}

func (zw *Writer) submitIfFull() {
	if b := zw.cur; b != nil && len(b.in) == cap(b.in) {
		zw.submit()
	}
}

// submit hands the current block to the workers and to the output.
func (zw *Writer) submit() {
	b := zw.cur
	zw.cur = nil
	zw.order <- b
	zw.work <- b
}

func (zw *Writer) worker() {
	for b := range zw.work {
		b.err = compressBlock(&b.out, b.in, zw.o.DictCap)
		b.crc = crc64.Checksum(b.in, crc64Table)
		b.ready <- struct{}{}
	}
}

// compressBlock writes in as one LZMA2 stream with a fresh dictionary.
func compressBlock(out *bytes.Buffer, in []byte, dict int) error {
	out.Reset()
	lw, err := lzma.Writer2Config{DictCap: dict}.NewWriter2(out)
	if err != nil {
		return fmt.Errorf("pxz: %w", err)
	}
	if _, err := lw.Write(in); err != nil {
		return fmt.Errorf("pxz: %w", err)
	}
	if err := lw.Close(); err != nil {
		return fmt.Errorf("pxz: %w", err)
	}
	return nil
}

// output writes the stream header, then each block when it is ready, in
// input order. After an error it only recycles the blocks.
func (zw *Writer) output() {
	defer close(zw.done)
	if _, err := zw.w.Write(streamHeader()); err != nil {
		zw.fail(err)
	}
	for b := range zw.order {
		<-b.ready
		if b.err != nil {
			zw.fail(b.err)
		}
		if zw.failed() == nil {
			if err := zw.writeBlock(b); err != nil {
				zw.fail(err)
			}
		}
		b.in, b.err = b.in[:0], nil
		zw.free <- b
	}
}

func (zw *Writer) writeBlock(b *block) error {
	comp := int64(b.out.Len())
	hdr := blockHeader(comp, int64(len(b.in)), zw.prop)
	if _, err := zw.w.Write(hdr); err != nil {
		return err
	}
	if _, err := zw.w.Write(b.out.Bytes()); err != nil {
		return err
	}
	tail := padding(int64(len(hdr)) + comp)
	tail = append(tail, byte(b.crc), byte(b.crc>>8), byte(b.crc>>16), byte(b.crc>>24),
		byte(b.crc>>32), byte(b.crc>>40), byte(b.crc>>48), byte(b.crc>>56))
	if _, err := zw.w.Write(tail); err != nil {
		return err
	}
	zw.recs = append(zw.recs, record{unpadded: int64(len(hdr)) + comp + checkSize, uncompressed: int64(len(b.in))})
	return nil
}

func (zw *Writer) fail(err error) {
	zw.mu.Lock()
	if zw.err == nil {
		zw.err = err
	}
	zw.mu.Unlock()
}

func (zw *Writer) failed() error {
	zw.mu.Lock()
	defer zw.mu.Unlock()
	if zw.err == nil && zw.closed {
		return ErrClosed
	}
	return zw.err
}

// Close compresses what is left, writes the index and the footer, and
// stops the goroutines. It returns the first error of the whole stream;
// after an error it only stops the goroutines. Calling it again returns
// nil or that error.
func (zw *Writer) Close() error {
	zw.mu.Lock()
	if zw.closed {
		err := zw.err
		zw.mu.Unlock()
		return err
	}
	zw.mu.Unlock()
	if zw.cur != nil && len(zw.cur.in) > 0 {
		zw.submit()
	}
	close(zw.work)
	close(zw.order)
	<-zw.done
	zw.jobs.Wait()
	zw.mu.Lock()
	defer zw.mu.Unlock()
	zw.closed = true
	// The goroutines are done and every later call fails with ErrClosed
	// before it touches a block, so their memory can go.
	zw.cur = nil
	zw.mem.Free()
	if zw.err != nil {
		return zw.err
	}
	if _, err := zw.w.Write(index(zw.recs)); err != nil {
		zw.err = err
	}
	return zw.err
}
