package chk

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"

	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
)

// Write is data for the same place in every share.
type Write struct {
	Offset int64    // offset within the share data
	Data   [][]byte // Data[shnum]; every share's slice has the same length
}

// Encoder encodes one file into Total shares, one segment at a time
// (immutable/encode.py Encoder). Use it as:
//
//	e, _ := chk.NewEncoder(key, params, size)
//	allocate e.ShareSize() bytes for each share; write e.Header() to each
//	for range e.Segments() { w, _ := e.EncodeSegment(r); write w.Data[i] at w.Offset to share i }
//	cap, _ := e.Finish()
//	for each share i: write e.Trailer(i) at e.TrailerOffset()
//
// The writes of one share are contiguous and in order, so a share can be
// sent as one stream. Memory: one segment's blocks (Total/Needed times the
// segment size) per EncodeSegment, which the caller may keep (each call
// allocates new ones), plus 32 bytes per segment per share and per
// segment for the hash trees, plus one trailer at a time.
type Encoder struct {
	g      geometry
	l      layout
	key    [tahoehash.KeySize]byte
	stream cipher.Stream
	code   erasureCode

	next        int64              // next segment to encode
	crypttext   *tahoehash.Hasher  // whole ciphertext
	segHashes   []tahoehash.Digest // crypttext segment hashes
	blockHashes [][]tahoehash.Digest

	done          bool
	crypttextTree []byte
	shareTree     tahoehash.Tree
	ueb           []byte
}

// NewEncoder prepares to encode size bytes (at least 1) under key with p.
func NewEncoder(key [tahoehash.KeySize]byte, p Params, size int64) (*Encoder, error) {
	g, err := newGeometry(p, size)
	if err != nil {
		return nil, err
	}
	code, err := erasure(g.k, g.n)
	if err != nil {
		return nil, fmt.Errorf("chk: %w", err)
	}
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("chk: %w", err)
	}
	iv := make([]byte, aes.BlockSize) // Tahoe's CTR starts at zero
	e := &Encoder{
		g: g, l: newLayout(g), key: key, code: code,
		stream:      cipher.NewCTR(block, iv),
		crypttext:   tahoehash.NewCrypttextHasher(),
		segHashes:   make([]tahoehash.Digest, 0, g.numSegments),
		blockHashes: make([][]tahoehash.Digest, g.n),
	}
	for i := range e.blockHashes {
		e.blockHashes[i] = make([]tahoehash.Digest, 0, g.numSegments)
	}
	return e, nil
}

// ShareSize is the size of each share, to allocate on the servers.
func (e *Encoder) ShareSize() int64 { return e.l.shareSize() }

// StorageIndex is the storage index the shares are stored under.
func (e *Encoder) StorageIndex() [tahoehash.KeySize]byte { return tahoehash.StorageIndex(e.key) }

// Segments is how many times to call EncodeSegment.
func (e *Encoder) Segments() int64 { return e.g.numSegments }

// SegmentSize is the plaintext length of every segment but the last.
func (e *Encoder) SegmentSize() int { return e.g.segSize }

// Header is the offset table at offset 0 of every share. All shares get
// the same slice; do not modify it.
func (e *Encoder) Header() Write {
	h := e.l.header()
	w := Write{Offset: 0, Data: make([][]byte, e.g.n)}
	for i := range w.Data {
		w.Data[i] = h
	}
	return w
}

var errOrder = errors.New("chk: encoder used out of order")

// EncodeSegment reads the next segment's plaintext from r (exactly its
// length: SegmentSize, or what is left for the last one), encrypts and
// erasure-codes it, and returns each share's block.
func (e *Encoder) EncodeSegment(r io.Reader) (Write, error) {
	if e.next >= e.g.numSegments {
		return Write{}, fmt.Errorf("%w: segment %d of %d", errOrder, e.next+1, e.g.numSegments)
	}
	plain, bs := e.g.segment(e.next)
	buf := make([]byte, e.g.n*bs)
	if n, err := io.ReadFull(r, buf[:plain]); err != nil {
		return Write{}, fmt.Errorf("chk: segment %d: got %d of %d bytes: %w", e.next, n, plain, noEOF(err))
	}
	ct := buf[:plain]
	e.stream.XORKeyStream(ct, ct)
	e.crypttext.Write(ct)
	seg := tahoehash.NewCrypttextSegmentHasher()
	seg.Write(ct)
	e.segHashes = append(e.segHashes, seg.Sum())
	// buf[plain:k*bs] is the zero padding of a short last segment
	blocks := make([][]byte, e.g.n)
	for i := range blocks {
		blocks[i] = buf[i*bs : (i+1)*bs : (i+1)*bs]
	}
	e.code.Encode(blocks[:e.g.k], blocks[e.g.k:])
	for i, b := range blocks {
		e.blockHashes[i] = append(e.blockHashes[i], tahoehash.BlockHash(b))
	}
	w := Write{Offset: e.l.data + e.next*int64(e.g.blockSize), Data: blocks}
	e.next++
	return w, nil
}

// Finish completes the hash trees and the URI extension block after the
// last segment and returns the cap.
func (e *Encoder) Finish() (Cap, error) {
	if e.next != e.g.numSegments || e.done {
		return Cap{}, fmt.Errorf("%w: Finish after %d of %d segments", errOrder, e.next, e.g.numSegments)
	}
	e.done = true
	ctTree := tahoehash.NewTree(e.segHashes)
	e.crypttextTree = treeBytes(ctTree)
	roots := make([]tahoehash.Digest, e.g.n)
	for i, hashes := range e.blockHashes {
		roots[i] = tahoehash.NewTree(hashes).Root()
	}
	e.shareTree = tahoehash.NewTree(roots)
	e.ueb = ueb{
		g:                 e.g,
		crypttextHash:     e.crypttext.Sum(),
		crypttextRootHash: ctTree.Root(),
		shareRootHash:     e.shareTree.Root(),
	}.pack()
	return Cap{Key: e.key, UEBHash: tahoehash.UEBHash(e.ueb),
		Needed: e.g.k, Total: e.g.n, Size: e.g.size}, nil
}

// TrailerOffset is where each share's trailer goes, right after its blocks.
func (e *Encoder) TrailerOffset() int64 { return e.l.plaintextTree }

// Trailer is share shnum's bytes after its blocks: the (zero) plaintext
// hash tree, the crypttext hash tree, its block hash tree, the share hash
// tree nodes that validate it, and the URI extension block. Call after
// Finish; each call builds a new slice.
func (e *Encoder) Trailer(shnum int) []byte {
	if !e.done || shnum < 0 || shnum >= e.g.n {
		panic(fmt.Sprintf("chk: Trailer(%d) before Finish or out of range", shnum))
	}
	blockTree := treeBytes(tahoehash.NewTree(e.blockHashes[shnum]))
	leaf := e.shareTree.FirstLeaf() + shnum
	nodes := pySetOrder(append(e.shareTree.NeededFor(shnum), leaf))
	hashes := make([]shareHash, len(nodes))
	for i, node := range nodes {
		hashes[i] = shareHash{node: node, hash: e.shareTree[node]}
	}
	return e.l.trailer(e.crypttextTree, blockTree, hashes, e.ueb)
}
