package uploader

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

func TestGridName(t *testing.T) {
	for raw, want := range map[string]string{
		"plain.txt":      "plain.txt",
		"e\u0301":        "\u00e9", // NFD -> NFC
		"bad\xff":        `bad\xff`,
		"\xc3":           `\xc3`,
		"a\nb":           "a\nb",
		"\xe9t\xe9.txt":  `\xe9t\xe9.txt`,  // Latin-1
		"x\xfa\u0301.go": "x\\xf\u00e1.go", // the escape's last digit composes
	} {
		if got := gridName(raw); got != want {
			t.Errorf("gridName(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestAssignNames(t *testing.T) {
	for _, tc := range []struct {
		raws, want []string
	}{
		{[]string{"a", "b"}, []string{"a", "b"}},
		// The NFC name keeps itself whatever the order.
		{[]string{"e\u0301", "\u00e9"}, []string{"\u00e9~1", "\u00e9"}},
		{[]string{"\u00e9", "e\u0301"}, []string{"\u00e9", "\u00e9~1"}},
		{[]string{"e\u0301.txt", "\u00e9.txt", "\u00e9~1.txt"}, []string{"\u00e9~2.txt", "\u00e9.txt", "\u00e9~1.txt"}},
		{[]string{"bad\xff", `bad\xff`}, []string{`bad\xff~1`, `bad\xff`}},
		{[]string{".e\u0301", ".\u00e9"}, []string{".\u00e9~1", ".\u00e9"}},
		// Two changed names mapping alike: byte order of the raw names decides.
		{[]string{"\xfa\u0301", "\\xfa\u0301"}, []string{"\\xf\u00e1~1", "\\xf\u00e1"}},
		{[]string{"\\xfa\u0301", "\xfa\u0301"}, []string{"\\xf\u00e1", "\\xf\u00e1~1"}},
		{[]string{"\xff", "\xff"}, nil},
	} {
		got, err := assignNames(tc.raws)
		if tc.want == nil {
			if err == nil {
				t.Errorf("assignNames(%q) = %q, want a duplicate error", tc.raws, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("assignNames(%q) = %q, %v; want %q", tc.raws, got, err, tc.want)
		}
	}
	if _, err := assignNames([]string{"a", "a"}); err == nil {
		t.Error("duplicate valid names accepted")
	}
}

func TestWithSuffix(t *testing.T) {
	for name, want := range map[string]string{
		"a.txt": "a~2.txt", "a.tar.gz": "a.tar~2.gz", ".bashrc": ".bashrc~2", "README": "README~2", "a.": "a~2.",
	} {
		if got := withSuffix(name, 2); got != want {
			t.Errorf("withSuffix(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestEdgeMeta(t *testing.T) {
	sym := edgeMeta(fsmeta.Meta{Type: fsmeta.TypeSymlink, Mode: 0o120777, Caps: "cap_x=ep"}, -1500000000)
	if _, ok := sym["mode"]; ok {
		t.Error("symlink has a mode")
	}
	if _, ok := sym["caps"]; ok {
		t.Error("symlink has caps")
	}
	if sym["mtime"] != -1.5 || sym["mtime_ns"] != "-1500000000" {
		t.Errorf("negative mtime: %v %v", sym["mtime"], sym["mtime_ns"])
	}
	dev := edgeMeta(fsmeta.Meta{Type: fsmeta.TypeBlockDev, Mode: 0o60660, Rdev: 0x10300 | 259<<8&0xfff00}, 0)
	if dev["rdev"] != "259:0" || dev["mode"] != "60660" {
		t.Errorf("device: %v", dev)
	}
	for _, md := range []map[string]any{sym, dev} {
		if _, ok := md["tahoe"]; ok {
			t.Error("key tahoe written")
		}
	}
}

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

func TestEscapePath(t *testing.T) {
	for raw, want := range map[string]string{
		"a/b c":      "a/b c",
		"a\nb\\c":    `a\nb\\c`,
		"bad\xff":    `bad\xff`,
		"\u00e9\x01": "\u00e9\\x01",
	} {
		if got := escapePath(raw); got != want {
			t.Errorf("escapePath(%q) = %q, want %q", raw, got, want)
		}
	}
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
