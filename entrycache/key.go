package entrycache

import (
	"crypto/sha256"
	"encoding/binary"
)

// keyVersion is the first part of every key, so that cache keys can never
// collide with any other SHA-256 the program computes, and so that a future
// key format can change it.
const keyVersion = "lafs-backup key v1"

// KeySize is the length of a cache key in bytes.
const KeySize = sha256.Size

// Key hashes parts into a cache key: SHA-256 over the key version and the
// parts, each preceded by its length as an 8-byte big-endian integer, so
// no two different lists of parts share an encoding:
// Key([]byte("ab"), []byte("c")) differs from Key([]byte("a"), []byte("bc"))
// and from Key([]byte("abc")).
//
// The uploader decides what the parts are (docs/metadata.md, Cache keys:
// the kind, the source pattern, then per kind the relative path, size,
// mtime, metadata, encoding decision, or for directories every child's
// name, cap and metadata); it is the only caller. Changing the parts or
// this function invalidates every existing cache, which costs a full
// re-upload: testdata/key.golden pins the output, and bumping keyVersion is
// the way to change it.
func Key(parts ...[]byte) [KeySize]byte {
	h := sha256.New()
	var n [8]byte
	write := func(p []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	write([]byte(keyVersion))
	for _, p := range parts {
		write(p)
	}
	var k [KeySize]byte
	h.Sum(k[:0])
	return k
}
