// Package chk encodes immutable files exactly as Tahoe-LAFS 1.20.0 does
// (CHK: "content hash key"), so that shares written by the direct path
// are byte-identical to the gateway's and caps are the same.
//
// A file is read twice. ConvergentKey hashes the content with the
// convergence secret into the AES-128 key; the storage index is a hash of
// the key. Encoder then reads the content again segment by segment,
// encrypts it with AES-128-CTR, splits each segment into Needed blocks,
// makes Total-Needed more with zfec, and hashes everything into the block
// hash trees, the share hash tree, the crypttext hash tree and the URI
// extension block, whose hash is in the cap. Encode does both for content
// held in memory.
//
// The package is pure: no I/O beyond the io.Reader it is given. Placing
// shares on servers is the caller's business; every share has the same
// size and layout, and its writes come in order and contiguous.
//
// See docs/direct.md for what is compatible with what and how it is
// proven (golden shares from Tahoe's own encoder, and caps and share files
// from a real grid).
package chk
