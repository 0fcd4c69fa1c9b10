package pxz

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ulikunitz/xz"

	"github.com/lafs-backup/lafs-backup/internal/needs"
)

// text returns n bytes of words: compressible, with repeats across blocks.
func text(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	words := strings.Fields("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua")
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		if r.IntN(12) == 0 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return bytes.Clone(b.Bytes()[:n])
}

func random(n int, seed uint64) []byte {
	var s [32]byte
	s[0] = byte(seed)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

func compress(t *testing.T, data []byte, o Options, write func(*Writer, []byte) error) []byte {
	t.Helper()
	var out bytes.Buffer
	zw, err := NewWriter(&out, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(zw, data); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return out.Bytes()
}

// writeAll writes in one call; writeChunks in uneven pieces; readFrom
// through io.Copy.
func writeAll(zw *Writer, p []byte) error { _, err := zw.Write(p); return err }

func writeChunks(zw *Writer, p []byte) error {
	for i := 0; len(p) > 0; i++ {
		k := min(len(p), 1+i*7919%100000)
		if _, err := zw.Write(p[:k]); err != nil {
			return err
		}
		p = p[k:]
	}
	return nil
}

func readFrom(zw *Writer, p []byte) error {
	_, err := io.Copy(zw, struct{ io.Reader }{bytes.NewReader(p)}) // no WriterTo: ReadFrom is used
	return err
}

// ulikunitz decodes with github.com/ulikunitz/xz, as restore does.
func ulikunitz(t *testing.T, z []byte) []byte {
	t.Helper()
	r, err := xz.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatalf("ulikunitz/xz reader: %v", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("ulikunitz/xz read: %v", err)
	}
	return out
}

// xzTool runs the real xz binary on z with args and returns stdout.
func xzTool(t *testing.T, z []byte, args ...string) []byte {
	t.Helper()
	needs.Tools(t, "xz")
	cmd := exec.Command("xz", args...)
	cmd.Stdin = bytes.NewReader(z)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xz %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// blocksOf asks `xz --list --robot` how many blocks and what uncompressed
// size the stream has.
func blocksOf(t *testing.T, z []byte) (blocks, size int64) {
	t.Helper()
	f := t.TempDir() + "/s.xz"
	if err := os.WriteFile(f, z, 0o600); err != nil {
		t.Fatal(err)
	}
	needs.Tools(t, "xz")
	out, err := exec.Command("xz", "--list", "--robot", f).Output()
	if err != nil {
		t.Fatalf("xz --list: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if fs := strings.Split(line, "\t"); fs[0] == "file" { // file streams blocks compressed uncompressed ...
			blocks, _ = strconv.ParseInt(fs[2], 10, 64)
			size, _ = strconv.ParseInt(fs[4], 10, 64)
		}
	}
	return blocks, size
}

func TestRoundTrip(t *testing.T) {
	const bs = MinBlockSize
	cases := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"one byte", []byte{'x'}},
		{"block minus one", text(bs-1, 1)},
		{"one block", text(bs, 2)},
		{"block plus one", text(bs+1, 3)},
		{"several blocks of text", text(3*bs+bs/2, 4)},
		{"random", random(2*bs+17, 5)},
		{"text then random", append(text(bs+100, 6), random(bs, 7)...)},
	}
	writes := []struct {
		name string
		f    func(*Writer, []byte) error
	}{{"Write", writeAll}, {"chunks", writeChunks}, {"ReadFrom", readFrom}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var first []byte
			for _, jobs := range []int{1, 2, 5} {
				for _, w := range writes {
					z := compress(t, c.data, Options{BlockSize: bs, Jobs: jobs}, w.f)
					if first == nil {
						first = z
					} else if !bytes.Equal(z, first) {
						t.Fatalf("jobs %d, %s: output differs from jobs 1, Write", jobs, w.name)
					}
				}
			}
			if got := ulikunitz(t, first); !bytes.Equal(got, c.data) {
				t.Fatalf("ulikunitz/xz decoded %d bytes, want %d (equal: %v)", len(got), len(c.data), bytes.Equal(got, c.data))
			}
			if got := xzTool(t, first, "-d", "-c"); !bytes.Equal(got, c.data) {
				t.Fatalf("xz -d decoded %d bytes, want %d", len(got), len(c.data))
			}
			blocks, size := blocksOf(t, first)
			if want := (int64(len(c.data)) + bs - 1) / bs; blocks != want || size != int64(len(c.data)) {
				t.Fatalf("xz --list: %d blocks of %d bytes, want %d blocks of %d", blocks, size, want, len(c.data))
			}
		})
	}
}

// TestCompresses: text shrinks, random data grows by little.
func TestCompresses(t *testing.T) {
	for _, c := range []struct {
		name     string
		data     []byte
		maxRatio float64
	}{
		{"text", text(1<<20, 8), 0.4},
		{"random", random(1<<20, 9), 1.01},
	} {
		z := compress(t, c.data, Options{BlockSize: 256 << 10, Jobs: 2}, writeAll)
		if r := float64(len(z)) / float64(len(c.data)); r > c.maxRatio {
			t.Errorf("%s: ratio %.3f, want at most %.2f", c.name, r, c.maxRatio)
		}
	}
}

// TestMultithreadedDecode: xz -T2 decodes blocks in parallel, which needs
// the sizes in every block header to be right.
func TestMultithreadedDecode(t *testing.T) {
	data := text(5*MinBlockSize+3, 10)
	z := compress(t, data, Options{BlockSize: MinBlockSize}, writeAll)
	if got := xzTool(t, z, "-d", "-c", "-T2"); !bytes.Equal(got, data) {
		t.Fatal("xz -d -T2 decoded something else")
	}
	xzTool(t, z, "-t", "-vv")
}

// failingWriter fails once n bytes were written.
type failingWriter struct{ n int }

var errDisk = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, errDisk
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriterError(t *testing.T) {
	data := text(20*MinBlockSize, 11)
	for _, after := range []int{0, 5, 100, 30000} {
		t.Run(fmt.Sprint(after), func(t *testing.T) {
			before := runtime.NumGoroutine()
			zw, err := NewWriter(&failingWriter{n: after}, Options{BlockSize: MinBlockSize, Jobs: 2})
			if err != nil {
				t.Fatal(err)
			}
			_, werr := zw.Write(data)
			cerr := zw.Close()
			if !errors.Is(werr, errDisk) && !errors.Is(cerr, errDisk) {
				t.Fatalf("Write: %v, Close: %v; want %v from one of them", werr, cerr, errDisk)
			}
			if !errors.Is(cerr, errDisk) {
				t.Fatalf("Close: %v, want %v", cerr, errDisk)
			}
			if err := zw.Close(); !errors.Is(err, errDisk) {
				t.Fatalf("second Close: %v", err)
			}
			waitGoroutines(t, before)
		})
	}
}

func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	for range 100 {
		if runtime.NumGoroutine() <= want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d goroutines left, want %d", runtime.NumGoroutine(), want)
}

func TestWriteAfterClose(t *testing.T) {
	zw, err := NewWriter(io.Discard, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close: %v, want ErrClosed", err)
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestOptions(t *testing.T) {
	cases := []struct {
		o    Options
		want string // error text part; "" = valid
	}{
		{Options{}, ""},
		{Options{BlockSize: MinBlockSize}, ""},
		{Options{BlockSize: MinBlockSize - 1}, "block size"},
		{Options{BlockSize: MaxBlockSize + 1}, "block size"},
		{Options{BlockSize: 1 << 20, DictCap: 2 << 20}, "dictionary"},
		{Options{DictCap: 100}, "dictionary"},
		{Options{Jobs: -1}, "jobs"},
	}
	for _, c := range cases {
		zw, err := NewWriter(io.Discard, c.o)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: error %v, want %q", c.o, err, c.want)
		}
		if err == nil {
			zw.Close()
		}
	}
}

// TestDictProp: the property byte names a dictionary at least as large
// as asked, and the smallest such (xz-file-format 5.3.1).
func TestDictProp(t *testing.T) {
	size := func(p byte) int64 { return int64(2|p&1) << (p/2 + 11) }
	for _, c := range []struct {
		dict int
		want byte
	}{{4096, 0}, {6144, 1}, {8192, 2}, {1 << 20, 16}, {1<<20 + 1, 17}, {3 << 19, 17}, {8 << 20, 22}} {
		if got := dictProp(c.dict); got != c.want || size(got) < int64(c.dict) {
			t.Errorf("dictProp(%d) = %d (%d bytes), want %d", c.dict, got, size(got), c.want)
		}
	}
}
