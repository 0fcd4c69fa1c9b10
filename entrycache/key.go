package entrycache

import (
	"crypto/sha256"
	"encoding/binary"
)

// keyDomain is hashed before the parts so that cache keys can never collide
// with any other SHA-256 the program computes, and so that a future key
// format can change it.
const keyDomain = "lafs-backup/entrycache key v1\x00"

// KeySize is the length of a cache key in bytes.
const KeySize = sha256.Size

// Key hashes parts into a cache key. Each part is preceded by its length as
// an 8-byte big-endian integer, so no two different lists of parts share an
// encoding: Key([]byte("ab"), []byte("c")) differs from
// Key([]byte("a"), []byte("bc")) and from Key([]byte("abc")).
//
// The uploader decides what the parts are (relative path, size, mtime,
// metadata, encoding decision, source pattern, for directories every child's
// name, cap and metadata). Changing the parts or this function invalidates
// every existing cache, which costs a full re-upload: testdata/key.golden
// pins the output.
func Key(parts ...[]byte) [KeySize]byte {
	h := sha256.New()
	h.Write([]byte(keyDomain))
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	var k [KeySize]byte
	h.Sum(k[:0])
	return k
}
