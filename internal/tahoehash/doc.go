// Package tahoehash holds the hash functions, netstrings and base32 of
// Tahoe-LAFS 1.20.0 (allmydata/util/hashutil.py, hashtree.py, netstring.py,
// base32.py), bit for bit: the building blocks of CHK encoding (package chk)
// and of the storage protocol's lease secrets.
//
// Every Tahoe hash is a tagged SHA-256d: SHA-256 over netstring(tag)
// followed by the data, hashed once more with SHA-256 (Ferguson and
// Schneier's defence against length extension), optionally truncated.
// Keys and storage indexes are 16 bytes, every other hash 32.
//
// The test vectors in testdata/vectors.json are computed by Tahoe's own
// Python (testdata/gen.py, run with the Tahoe virtualenv's python); see
// docs/direct.md.
package tahoehash
