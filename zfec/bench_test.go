package zfec

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The benchmarks encode and decode one 128 KiB segment, Tahoe's default,
// with the block size Tahoe would use; MB/s counts input (segment) bytes.
var benchCodes = []struct{ k, n int }{{2, 4}, {3, 10}, {25, 100}}

const benchSegment = 128 << 10

func BenchmarkEncode(b *testing.B) {
	for _, bc := range benchCodes {
		b.Run(fmtCode(bc.k, bc.n), func(b *testing.B) {
			c, all := benchBlocks(b, bc.k, bc.n)
			b.SetBytes(int64(bc.k * len(all[0])))
			for b.Loop() {
				c.Encode(all[:bc.k], all[bc.k:])
			}
		})
	}
}

// BenchmarkDecode decodes from the last k blocks: as many check blocks as
// possible, the most work a decode can take.
func BenchmarkDecode(b *testing.B) {
	for _, bc := range benchCodes {
		b.Run(fmtCode(bc.k, bc.n), func(b *testing.B) {
			c, all := benchBlocks(b, bc.k, bc.n)
			nums := make([]int, bc.k)
			for i := range nums {
				nums[i] = bc.n - bc.k + i
			}
			in := all[bc.n-bc.k:]
			b.SetBytes(int64(bc.k * len(all[0])))
			for b.Loop() {
				if _, err := c.Decode(in, nums); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchBlocks(b *testing.B, k, n int) (*Code, [][]byte) {
	c, err := New(k, n)
	if err != nil {
		b.Fatal(err)
	}
	return c, blocks(b, c, (benchSegment+k-1)/k, rand.New(rand.NewPCG(1, 1)))
}

func fmtCode(k, n int) string { return fmt.Sprintf("%d-of-%d", k, n) }
