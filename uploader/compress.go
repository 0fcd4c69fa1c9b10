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
)

// probeSize is how much of a file the incompressibility probe deflates.
const probeSize = 128 << 10

// xzEncoderID names the encoder and its fixed settings in the cache key of
// compressed files: a change of encoder must change the key, since the
// encoder's output (and so the cap) may change with it.
const xzEncoderID = "ulikunitz/xz@v0.5;lzma2;lc3lp0pb2;hashtable4;crc64"

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

// xzReader compresses src in a goroutine and is read through a pipe. Close
// stops the goroutine, waits for it, closes src and releases the memory
// budget; it is safe to call more than once.
type xzReader struct {
	pr      *io.PipeReader
	src     io.Closer
	done    chan struct{}
	release func()
	once    sync.Once
}

func newXZReader(ctx context.Context, src io.ReadCloser, dict int, mem *weighted) (io.ReadCloser, error) {
	taken, err := mem.acquire(ctx, xzMemory(dict))
	if err != nil {
		src.Close()
		return nil, err
	}
	pr, pw := io.Pipe()
	r := &xzReader{pr: pr, src: src, done: make(chan struct{}), release: func() { mem.release(taken) }}
	go func() {
		defer close(r.done)
		pw.CloseWithError(compressTo(pw, src, dict))
	}()
	return r, nil
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
		r.release()
	})
	return err
}
