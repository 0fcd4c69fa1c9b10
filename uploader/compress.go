package uploader

import (
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync"

	"github.com/ulikunitz/xz"

	"github.com/lafs-backup/lafs-backup/internal/pxz"
)

// probeSize is how much of a file the incompressibility probe deflates.
const probeSize = 128 << 10

// xzEncoderID names the encoder and its fixed settings in the cache key of
// compressed files: a change of encoder must change the key, since the
// encoder's output (and so the cap) may change with it.
const xzEncoderID = "ulikunitz/xz@v0.5;lzma2;lc3lp0pb2;hashtable4;crc64"

// pxzEncoderID is the same for files compressed in independent blocks on
// every core (internal/pxz: its container, over the same LZMA2 encoder).
const pxzEncoderID = "lafs-backup/pxz@1;" + xzEncoderID

// parallelMin: files larger than this are compressed in blocks of
// pxz.DefaultBlockSize on every core; smaller ones in one stream with a
// dictionary sized to them (at most parallelMin, so about 10 MB of
// encoder), as before. A file of at most one block gains nothing from
// blocks.
const parallelMin = pxz.DefaultBlockSize

// blockDict is the block encoder's dictionary: its default, or the
// configured largest dictionary when that is smaller.
func blockDict(maxDict int) int { return min(pxz.DefaultDictCap, maxDict) }

// blockOptions are the block encoder's settings for the largest
// dictionary maxDict.
func blockOptions(maxDict int) pxz.Options {
	return pxz.Options{BlockSize: pxz.DefaultBlockSize, DictCap: blockDict(maxDict)}
}

var flatePool = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
	return w
}}

// countWriter counts what is written to it.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// probeRatio deflates sample at BestSpeed and returns compressed/original
// (0 for an empty sample). Measured cost: about 2.5 ms per 128 KiB of
// text, 0.5 ms for random data (reference/libraries.md 1.3).
func probeRatio(sample []byte) float64 {
	if len(sample) == 0 {
		return 0
	}
	var cw countWriter
	w := flatePool.Get().(*flate.Writer)
	defer flatePool.Put(w)
	w.Reset(&cw)
	_, _ = w.Write(sample) // writes to countWriter cannot fail
	_ = w.Close()
	return float64(cw.n) / float64(len(sample))
}

// dictCap sizes the xz dictionary to the file: the next power of two of
// size, clamped to [MinDictCap, max]. A dictionary larger than the file buys
// nothing and costs about 6 bytes of writer memory per byte.
func dictCap(size int64, max int) int {
	if size <= MinDictCap {
		return MinDictCap
	}
	if size >= int64(max) {
		return max
	}
	p := int64(1) << bits.Len64(uint64(size-1))
	if p > int64(max) {
		return max
	}
	return int(p)
}

// xzMemory estimates an xz writer's memory for a dictionary (measured:
// 0.7 MB at 64 KiB, 9.6 MB at 1 MiB, 50 MB at 8 MiB).
func xzMemory(dict int) int64 { return 6*int64(dict) + 512<<10 }

// xzBudget bounds what the xz writers hold at once: their estimated
// memory, and one block writer (it already uses every core; a second
// would add its memory and no speed). docs/uploader.md, Pipeline.
type xzBudget struct {
	mem    *weighted
	blocks *weighted
}

func newXZBudget(memory int64) xzBudget {
	return xzBudget{mem: newWeighted(memory), blocks: newWeighted(1)}
}

// take waits for a writer's share: a block writer's slot, then its
// memory. The returned release is safe to call more than once.
func (x xzBudget) take(ctx context.Context, need int64, block bool) (release func(), err error) {
	var slot int64
	if block {
		if slot, err = x.blocks.acquire(ctx, 1); err != nil {
			return nil, err
		}
	}
	taken, err := x.mem.acquire(ctx, need)
	if err != nil {
		x.blocks.release(slot)
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { x.mem.release(taken); x.blocks.release(slot) }) }, nil
}

// xzReader compresses src in a goroutine and is read through a pipe. The
// writer's budget is given back as soon as it has written its last byte
// (while the grid may still be storing the file, the next one can
// compress). Close stops the goroutine, waits for it and closes src; it
// is safe to call more than once.
type xzReader struct {
	pr   *io.PipeReader
	src  io.Closer
	done chan struct{}
	once sync.Once
}

// newXZReader picks the encoder by size: up to parallelMin one stream
// with a dictionary sized to the file, above it blocks on every core.
func newXZReader(ctx context.Context, src io.ReadCloser, size int64, maxDict int, budget xzBudget) (io.ReadCloser, error) {
	dict := dictCap(size, maxDict)
	need := xzMemory(dict)
	compress := func(w io.Writer) error { return compressTo(w, src, dict) }
	block := size > parallelMin
	if block {
		o := blockOptions(maxDict)
		need = o.Memory()
		compress = func(w io.Writer) error { return compressBlocks(w, src, o) }
	}
	release, err := budget.take(ctx, need, block)
	if err != nil {
		src.Close()
		return nil, err
	}
	pr, pw := io.Pipe()
	r := &xzReader{pr: pr, src: src, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		err := compress(pw)
		release()
		pw.CloseWithError(err)
	}()
	return r, nil
}

// compressBlocks writes src as one multi-block .xz stream to w, the
// blocks compressed on every core (internal/pxz).
func compressBlocks(w io.Writer, src io.Reader, o pxz.Options) error {
	zw, err := pxz.NewWriter(w, o)
	if err != nil {
		return fmt.Errorf("xz writer: %w", err)
	}
	_, err = io.Copy(zw, src)
	return errors.Join(err, zw.Close()) // Close also stops its goroutines after an error
}

// compressTo writes src as one .xz stream to w.
func compressTo(w io.Writer, src io.Reader, dict int) error {
	xw, err := xz.WriterConfig{DictCap: dict}.NewWriter(w)
	if err != nil {
		return fmt.Errorf("xz writer: %w", err)
	}
	if _, err := io.Copy(xw, src); err != nil {
		return err
	}
	return xw.Close()
}

func (r *xzReader) Read(p []byte) (int, error) { return r.pr.Read(p) }

var errReaderClosed = errors.New("uploader: reader closed")

func (r *xzReader) Close() error {
	var err error
	r.once.Do(func() {
		r.pr.CloseWithError(errReaderClosed)
		<-r.done
		err = r.src.Close()
	})
	return err
}
