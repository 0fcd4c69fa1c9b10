package zfec

import (
	"math/rand/v2"
	"testing"
)

// slowMul multiplies bit by bit, reducing by the polynomial as it goes:
// the textbook definition, independent of the log tables.
func slowMul(a, b byte) byte {
	var p byte
	x := uint16(a)
	for ; b != 0; b >>= 1 {
		if b&1 != 0 {
			p ^= byte(x)
		}
		x <<= 1
		if x&0x100 != 0 {
			x ^= poly
		}
	}
	return p
}

func TestFieldMul(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			if got, want := gfMul(byte(a), byte(b)), slowMul(byte(a), byte(b)); got != want {
				t.Fatalf("gfMul(%#x, %#x) = %#x, want %#x", a, b, got, want)
			}
		}
		if a != 0 && gfMul(byte(a), gfInv(byte(a))) != 1 {
			t.Fatalf("gfInv(%#x) = %#x is no inverse", a, gfInv(byte(a)))
		}
	}
}

// TestAlphaGenerates checks that α = 2 has order 255, which makes the
// polynomial primitive and the Vandermonde points distinct.
func TestAlphaGenerates(t *testing.T) {
	seen := map[byte]bool{}
	for e := range 255 {
		seen[gfPow(e)] = true
	}
	if len(seen) != 255 || seen[0] {
		t.Fatalf("α^0..α^254 take %d distinct non-zero values, want 255", len(seen))
	}
}

// TestKernelMatchesFieldMul checks tables.apply against gfMul byte by
// byte, with every coefficient value, groups of 1..8 outputs and more, and
// lengths with partial words and chunks.
func TestKernelMatchesFieldMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, shape := range []struct{ outputs, sources int }{{1, 1}, {2, 2}, {3, 4}, {8, 3}, {8, 32}, {9, 2}, {17, 5}, {255, 1}} {
		coef := make([]byte, shape.outputs*shape.sources)
		for i := range coef {
			coef[i] = byte(i) // every value once coef is long enough
		}
		rng.Shuffle(len(coef), func(i, j int) { coef[i], coef[j] = coef[j], coef[i] })
		tabs := newTables(coef, shape.outputs, shape.sources)
		for _, size := range []int{1, 7, 8, 13, chunkBytes + 9} {
			src := make([][]byte, shape.sources)
			for i := range src {
				src[i] = make([]byte, size)
				for p := range src[i] {
					src[i][p] = byte(rng.Uint32())
				}
			}
			dst := make([][]byte, shape.outputs)
			for j := range dst {
				dst[j] = make([]byte, size)
			}
			tabs.apply(dst, src)
			for j := range dst {
				for p := range size {
					var want byte
					for i := range src {
						want ^= gfMul(coef[j*shape.sources+i], src[i][p])
					}
					if dst[j][p] != want {
						t.Fatalf("%d×%d, size %d: output %d byte %d = %#x, want %#x",
							shape.outputs, shape.sources, size, j, p, dst[j][p], want)
					}
				}
			}
		}
	}
}

func TestInverse(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, k := range []int{1, 2, 5, 30} {
		a := vandermonde(k+3, k)
		rng.Shuffle(k+3, a.swapRows)
		sq := &matrix{rows: k, cols: k, m: a.m[:k*k]}
		inv, err := sq.inverse()
		if err != nil {
			t.Fatalf("k=%d: %v", k, err)
		}
		id := sq.mul(inv)
		for r := range k {
			for c := range k {
				want := byte(0)
				if r == c {
					want = 1
				}
				if id.m[r*k+c] != want {
					t.Fatalf("k=%d: a·a⁻¹ is not the identity at (%d, %d)", k, r, c)
				}
			}
		}
	}
	if _, err := (&matrix{rows: 2, cols: 2, m: []byte{1, 2, 1, 2}}).inverse(); err != errSingular {
		t.Errorf("singular matrix: err = %v, want errSingular", err)
	}
}
