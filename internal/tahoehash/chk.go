package tahoehash

import (
	"fmt"
	"strconv"
)

// Tags of the immutable-file hashes (hashutil.py).
var (
	tagStorageIndex     = []byte("allmydata_immutable_key_to_storage_index_v1")
	tagBlock            = []byte("allmydata_encoded_subshare_v1")
	tagUEB              = []byte("allmydata_uri_extension_v1")
	tagPlaintext        = []byte("allmydata_plaintext_v1")
	tagCrypttext        = []byte("allmydata_crypttext_v1")
	tagCrypttextSegment = []byte("allmydata_crypttext_segment_v1")
	tagPlaintextSegment = []byte("allmydata_plaintext_segment_v1")
	tagConvergent       = []byte("allmydata_immutable_content_to_key_with_added_secret_v1+")
)

// StorageIndex is the storage index of an immutable file with this AES key:
// the key's tagged hash truncated to 16 bytes.
func StorageIndex(key [KeySize]byte) [KeySize]byte {
	d := TaggedHash(tagStorageIndex, key[:])
	return [KeySize]byte(d[:KeySize])
}

// BlockHash is the hash of one erasure-coded block: a leaf of its share's
// block hash tree.
func BlockHash(block []byte) Digest { return TaggedHash(tagBlock, block) }

// NewBlockHasher starts a block hash; Reset it with BlockTag.
func NewBlockHasher() *Hasher { return NewTagged(tagBlock) }

// BlockTag is the tag of block hashes, for Hasher.Reset.
func BlockTag() []byte { return tagBlock }

// UEBHash is the hash of a packed URI extension block, the cap's second field.
func UEBHash(ueb []byte) Digest { return TaggedHash(tagUEB, ueb) }

// NewCrypttextHasher hashes the whole ciphertext (UEB crypttext_hash).
func NewCrypttextHasher() *Hasher { return NewTagged(tagCrypttext) }

// NewCrypttextSegmentHasher hashes one segment's ciphertext, unpadded: a leaf
// of the crypttext hash tree.
func NewCrypttextSegmentHasher() *Hasher { return NewTagged(tagCrypttextSegment) }

// CrypttextSegmentTag is the tag of crypttext segment hashes, for Hasher.Reset.
func CrypttextSegmentTag() []byte { return tagCrypttextSegment }

// NewPlaintextHasher hashes the whole plaintext. Tahoe 1.20 computes it
// but writes it nowhere.
func NewPlaintextHasher() *Hasher { return NewTagged(tagPlaintext) }

// NewPlaintextSegmentHasher hashes one plaintext segment. Tahoe 1.20 writes
// no plaintext hash tree (its share space is zero-filled).
func NewPlaintextSegmentHasher() *Hasher { return NewTagged(tagPlaintextSegment) }

// ConvergenceHasher starts the convergent-key hash of hashutil
// convergence_hasher: the content, under a tag made of the convergence
// secret and the encoding parameters k, n and the segment size Tahoe
// derives for this file (not the configured maximum). Its Key is the AES key.
func ConvergenceHasher(k, n, segsize int, secret []byte) (*ConvergentHasher, error) {
	if k > n || k < 1 || n > 256 || segsize < 0 {
		return nil, fmt.Errorf("tahoehash: bad encoding parameters k=%d n=%d segment size %d", k, n, segsize)
	}
	params := strconv.Itoa(k) + "," + strconv.Itoa(n) + "," + strconv.Itoa(segsize)
	tag := append([]byte{}, tagConvergent...)
	tag = AppendNetstring(tag, secret)
	tag = AppendNetstring(tag, []byte(params))
	return &ConvergentHasher{*NewTagged(tag)}, nil
}

// ConvergentHasher hashes content into its convergent AES key.
type ConvergentHasher struct{ Hasher }

// Key is the hash so far truncated to an AES-128 key.
func (c *ConvergentHasher) Key() [KeySize]byte {
	d := c.Sum()
	return [KeySize]byte(d[:KeySize])
}
