// Package zfec is an erasure code bit-compatible with the Python zfec
// module (1.6.0.0), which Tahoe-LAFS uses for CHK immutable files.
//
// A k-of-n Code turns k primary blocks of one length into n blocks, any k
// of which give the primary blocks back. It is systematic: blocks 0..k-1
// are the primary blocks themselves and Encode computes the n-k check
// blocks k..n-1. Tahoe's share number i of a segment is block i of
// zfec.Encoder(k, n).encode(pieces), where the pieces are the segment cut
// into k equal parts; so share i < k is piece i and share k+j is Encode's
// dst[j].
//
// The field is GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1 (0x11d), generated
// by α = 2. zfec starts from the n×k Vandermonde matrix whose row 0 is
// (1, 0, ..., 0) (the point 0) and whose row r >= 1 is the powers of
// α^(r-1); it multiplies that matrix by the inverse of its top k×k square,
// which makes the top k rows the identity. Row k+j of the result holds the
// coefficients of check block k+j over the primary blocks; every byte
// position is coded independently, so blocks may have any length,
// including 0. Decode inverts the k×k matrix of the rows of the blocks it
// was given. Both inverses are unique, so they are the same whatever
// elimination order computes them; the bytes out are exactly zfec's.
//
// The compatibility contract is tested against golden vectors made by the
// Python module itself (testdata/gen.py, testdata/golden.json); see
// docs/zfec.md for how they are made and how the block arithmetic is made
// fast.
package zfec
