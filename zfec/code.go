package zfec

import (
	"errors"
	"fmt"
)

// MaxN is the largest number of blocks a code can have: GF(2^8) has 256
// distinct evaluation points.
const MaxN = 256

// ErrInvalid is wrapped by every error that reports bad arguments.
var ErrInvalid = errors.New("zfec: invalid argument")

// Code is a systematic k-of-n erasure code, identical to zfec's
// Encoder(k, n) and Decoder(k, n). It is safe for concurrent use.
type Code struct {
	k, n int
	// enc holds the n-k check rows of zfec's encoding matrix: block k+j is
	// the sum over i of enc[j*k+i]·(primary block i).
	enc []byte
	// encTables are enc as lookup tables for kernel.go.
	encTables *tables
}

// New returns a k-of-n code (1 <= k <= n <= 256).
func New(k, n int) (*Code, error) {
	if k < 1 || n < k || n > MaxN {
		return nil, fmt.Errorf("%w: k=%d, n=%d: need 1 <= k <= n <= %d", ErrInvalid, k, n, MaxN)
	}
	enc := encodeRows(k, n)
	return &Code{k: k, n: n, enc: enc, encTables: newTables(enc, n-k, k)}, nil
}

// encodeRows returns rows k..n-1 of zfec's systematic encoding matrix: the
// Vandermonde matrix times the inverse of its top k×k square, whose top k
// rows are then the identity.
func encodeRows(k, n int) []byte {
	v := vandermonde(n, k)
	top := &matrix{rows: k, cols: k, m: v.m[:k*k]}
	inv, err := top.inverse()
	if err != nil {
		panic("zfec: Vandermonde matrix is singular") // cannot happen for n <= 256
	}
	bottom := &matrix{rows: n - k, cols: k, m: v.m[k*k:]}
	return bottom.mul(inv).m
}

// K returns the number of blocks needed to decode.
func (c *Code) K() int { return c.k }

// N returns the total number of blocks.
func (c *Code) N() int { return c.n }

// Encode computes the n-k check blocks of one stripe: src holds the k primary
// blocks (all of one length), dst the n-k output blocks of the same length;
// dst[i] becomes block number k+i. (Blocks 0..k-1 are the primary blocks
// themselves.) Encode does not allocate. It panics if the counts or lengths
// are wrong, as copy would for a programming error.
func (c *Code) Encode(src, dst [][]byte) {
	if len(src) != c.k || len(dst) != c.n-c.k {
		panic(fmt.Sprintf("zfec: Encode: %d source and %d check blocks for a %d-of-%d code, want %d and %d",
			len(src), len(dst), c.k, c.n, c.k, c.n-c.k))
	}
	size := len(src[0])
	mustHaveLength("source", src, size)
	mustHaveLength("check", dst, size)
	c.encTables.apply(dst, src)
}

func mustHaveLength(kind string, blocks [][]byte, size int) {
	for i, b := range blocks {
		if len(b) != size {
			panic(fmt.Sprintf("zfec: Encode: %s block %d is %d bytes, source block 0 is %d", kind, i, len(b), size))
		}
	}
}
