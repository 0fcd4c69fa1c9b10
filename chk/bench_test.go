package chk

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkEncode measures the whole client-side work for one file: the
// convergent key (one pass), then encryption, erasure coding and hashing
// (a second pass), with shares streamed as an uploader would consume them.
// MB/s is of plaintext; ns/op for 4 KiB is the CPU per small object.
func BenchmarkEncode(b *testing.B) {
	secret := bytes.Repeat([]byte{7}, 32)
	for _, size := range []int64{4 << 10, 64 << 20} {
		for _, p := range []Params{{Needed: 2, Total: 4}, {Needed: 3, Total: 10}} {
			name := fmt.Sprintf("%dKiB/%d-of-%d", size>>10, p.Needed, p.Total)
			b.Run(name, func(b *testing.B) { benchEncode(b, secret, p, content(1, size)) })
		}
	}
}

func benchEncode(b *testing.B, secret []byte, p Params, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		key, err := ConvergentKey(secret, p, int64(len(data)), bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		e, err := NewEncoder(key, p, int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		r := bytes.NewReader(data)
		for range e.Segments() {
			if _, err := e.EncodeSegment(r); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := e.Finish(); err != nil {
			b.Fatal(err)
		}
		for i := range p.Total {
			_ = e.Trailer(i)
		}
	}
}
