package uploader

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

func TestDictCap(t *testing.T) {
	for _, tc := range []struct {
		size int64
		max  int
		want int
	}{
		{0, DefaultDictCap, MinDictCap},
		{56, DefaultDictCap, MinDictCap},
		{MinDictCap + 1, DefaultDictCap, 2 * MinDictCap},
		{1 << 20, DefaultDictCap, 1 << 20},
		{1<<20 + 1, DefaultDictCap, 2 << 20},
		{1 << 40, DefaultDictCap, DefaultDictCap},
		{3 << 20, 1 << 20, 1 << 20},
	} {
		if got := dictCap(tc.size, tc.max); got != tc.want {
			t.Errorf("dictCap(%d, %d) = %d, want %d", tc.size, tc.max, got, tc.want)
		}
	}
}

func TestProbeRatio(t *testing.T) {
	if r := probeRatio(text(probeSize)); r > 0.5 {
		t.Errorf("text ratio %.2f", r)
	}
	if r := probeRatio(random(probeSize, 3)); r < DefaultProbeRatio {
		t.Errorf("random ratio %.2f", r)
	}
	if r := probeRatio(nil); r != 0 {
		t.Errorf("empty ratio %.2f", r)
	}
}

func TestCompressToIsStandardXZ(t *testing.T) {
	for _, data := range [][]byte{nil, text(100), text(3 << 20), random(300<<10, 4)} {
		var out bytes.Buffer
		mustDo(t, compressTo(&out, bytes.NewReader(data), dictCap(int64(len(data)), DefaultDictCap)))
		if got := unxz(t, out.Bytes()); !bytes.Equal(got, data) {
			t.Errorf("%d bytes: xz -d gives %d different bytes", len(data), len(got))
		}
		var again bytes.Buffer
		mustDo(t, compressTo(&again, bytes.NewReader(data), dictCap(int64(len(data)), DefaultDictCap)))
		if !bytes.Equal(again.Bytes(), out.Bytes()) {
			t.Errorf("%d bytes: output not deterministic", len(data))
		}
	}
}

func TestWeighted(t *testing.T) {
	s := newWeighted(10)
	a, err := s.acquire(t.Context(), 6)
	mustDo(t, err)
	big, err := s.acquire(t.Context(), 4)
	mustDo(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan error)
	go func() { _, err := s.acquire(ctx, 100); got <- err }() // clamped to 10: waits for both
	cancel()
	if err := <-got; err == nil {
		t.Error("acquire ignored cancellation")
	}
	s.release(a)
	s.release(big)
	n, err := s.acquire(t.Context(), 100)
	if err != nil || n != 10 {
		t.Errorf("oversized acquire = %d, %v", n, err)
	}
	done := make(chan struct{})
	go func() { m, _ := s.acquire(t.Context(), 1); s.release(m); close(done) }()
	s.release(n)
	<-done
}

func TestOptionsCheck(t *testing.T) {
	if _, err := New(newFakeGrid(), newFakeCache(), Options{}); err == nil {
		t.Error("empty options accepted")
	}
	for _, name := range []string{"a/b", "..", "."} {
		o := testOptions("/x")
		o.Name = name
		if _, err := New(newFakeGrid(), newFakeCache(), o); err == nil {
			t.Errorf("Name %q accepted", name)
		}
	}
	o := testOptions("/x")
	o.XZ.DictCap = 1000
	if _, err := New(newFakeGrid(), newFakeCache(), o); err == nil {
		t.Error("tiny DictCap accepted")
	}
}

func TestFlights(t *testing.T) {
	f := newFlights()
	a, b := [32]byte{1}, [32]byte{2}
	relA, err := f.acquire(t.Context(), a)
	mustDo(t, err)
	relB, err := f.acquire(t.Context(), b) // another key does not wait
	mustDo(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := f.acquire(ctx, a); err == nil {
		t.Error("second acquire of a busy key did not wait")
	}
	got := make(chan struct{})
	go func() {
		rel, err := f.acquire(t.Context(), a)
		if err == nil {
			rel()
		}
		close(got)
	}()
	relA()
	<-got
	relB()
	if len(f.m) != 0 {
		t.Errorf("table not empty: %d", len(f.m))
	}
}

// One block writer runs at a time (it uses every core), and it gives its
// budget back when it has written its last byte, not when the upload
// ends; single-stream writers do not wait for it.
func TestXZBudgetBlockWriters(t *testing.T) {
	budget := newXZBudget(DefaultXZMemory)
	size := int64(2*parallelMin + 1)
	open := func() (io.ReadCloser, error) {
		return newXZReader(t.Context(), io.NopCloser(bytes.NewReader(text(int(size)))), size, DefaultDictCap, budget)
	}
	first, err := open()
	mustDo(t, err)
	defer first.Close()
	second := make(chan io.ReadCloser, 1)
	go func() {
		r, err := open()
		if err != nil {
			t.Error(err)
		}
		second <- r
	}()
	small, err := newXZReader(t.Context(), io.NopCloser(bytes.NewReader(text(1000))), 1000, DefaultDictCap, budget)
	mustDo(t, err)
	mustDo(t, small.Close())
	select {
	case r := <-second:
		r.Close()
		t.Fatal("a second block writer started beside the first")
	case <-time.After(100 * time.Millisecond):
	}
	data, err := io.ReadAll(first) // its last byte read, not yet closed
	mustDo(t, err)
	if got := unxz(t, data); !bytes.Equal(got, text(int(size))) {
		t.Error("xz -d does not give the file back")
	}
	select {
	case r := <-second:
		mustDo(t, r.Close())
	case <-time.After(30 * time.Second):
		t.Fatal("the second block writer still waits after the first wrote everything")
	}
}
