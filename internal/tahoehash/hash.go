package tahoehash

import (
	"crypto/sha256"
	"hash"
	"strconv"
)

// Size is the length of an untruncated hash (CRYPTO_VAL_SIZE).
const Size = 32

// KeySize is the length of AES keys, storage indexes and convergent keys.
const KeySize = 16

// Digest is an untruncated SHA-256d hash.
type Digest [Size]byte

// Hasher computes a tagged SHA-256d hash incrementally. Write never fails.
type Hasher struct {
	h hash.Hash
}

// NewTagged starts a hash with netstring(tag) already written.
func NewTagged(tag []byte) *Hasher {
	h := &Hasher{h: sha256.New()}
	h.h.Write(Netstring(tag))
	return h
}

// Write adds p to the hash.
func (h *Hasher) Write(p []byte) (int, error) { return h.h.Write(p) }

// Sum returns SHA-256 of the inner SHA-256. It does not change the state,
// so more writes may follow (Tahoe's hashers allow one digest only; nothing
// here depends on that).
func (h *Hasher) Sum() Digest {
	var inner [Size]byte
	h.h.Sum(inner[:0])
	return sha256.Sum256(inner[:])
}

// Reset restarts the hash with tag's netstring written, so one Hasher can
// hash many blocks without allocating.
func (h *Hasher) Reset(tag []byte) {
	h.h.Reset()
	h.h.Write(Netstring(tag))
}

// TaggedHash is hashutil.tagged_hash(tag, data) untruncated.
func TaggedHash(tag, data []byte) Digest {
	h := NewTagged(tag)
	h.Write(data)
	return h.Sum()
}

// TaggedPairHash is hashutil.tagged_pair_hash: SHA-256d over
// netstring(tag) netstring(a) netstring(b).
func TaggedPairHash(tag, a, b []byte) Digest {
	h := NewTagged(tag)
	h.Write(Netstring(a))
	h.Write(Netstring(b))
	return h.Sum()
}

// Netstring is "len:data," with len in decimal.
func Netstring(data []byte) []byte {
	out := make([]byte, 0, len(data)+24)
	out = strconv.AppendInt(out, int64(len(data)), 10)
	out = append(out, ':')
	out = append(out, data...)
	return append(out, ',')
}

// AppendNetstring appends Netstring(data) to dst.
func AppendNetstring(dst, data []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(data)), 10)
	dst = append(dst, ':')
	dst = append(dst, data...)
	return append(dst, ',')
}
