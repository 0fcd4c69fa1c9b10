package pxz

import (
	"io"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/ulikunitz/xz"
)

// Benchmarks (not tests): go test -run '^$' -bench . -benchtime 3x ./internal/pxz/
// MB/s counts input bytes; heap-MB is the peak of the Go heap in use,
// sampled every 10 ms, above what it was before; the input is read from a file. The baseline is the single-stream writer the
// uploader used for every file before, with its 8 MiB dictionary.

const benchSize = 32 << 20

// benchFile writes the benchmark's text to a file once, so that the heap
// holds only what the writer allocates.
func benchFile(b *testing.B) string {
	p := b.TempDir() + "/text"
	if err := os.WriteFile(p, text(benchSize, 42), 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

// heapPeak samples runtime.MemStats.HeapInuse until stop is called.
func heapPeak() (stop func() uint64) {
	var peak uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak }
}

func bench(b *testing.B, newWriter func(io.Writer) (io.WriteCloser, error)) {
	path := benchFile(b)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	stop := heapPeak()
	b.SetBytes(benchSize)
	var out int64
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		var cw counter
		w, err := newWriter(&cw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(w, f); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		out = int64(cw)
	}
	b.ReportMetric(float64(stop()-ms.HeapInuse)/(1<<20), "heap-MB")
	b.ReportMetric(float64(out)/benchSize, "ratio")
}

type counter int64

func (c *counter) Write(p []byte) (int, error) { *c += counter(len(p)); return len(p), nil }

func BenchmarkSingleStream8M(b *testing.B) {
	bench(b, func(w io.Writer) (io.WriteCloser, error) { return xz.WriterConfig{DictCap: 8 << 20}.NewWriter(w) })
}

func benchBlocks(b *testing.B, o Options) {
	bench(b, func(w io.Writer) (io.WriteCloser, error) { return NewWriter(w, o) })
}

func BenchmarkBlocks1Job(b *testing.B)  { benchBlocks(b, Options{Jobs: 1}) }
func BenchmarkBlocks2Jobs(b *testing.B) { benchBlocks(b, Options{Jobs: 2}) }
func BenchmarkBlocks2Jobs2M1M(b *testing.B) {
	benchBlocks(b, Options{Jobs: 2, BlockSize: 2 << 20, DictCap: 1 << 20})
}
