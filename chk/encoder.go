package chk

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

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
// allocates new ones; EncodeSegmentInto uses the caller's), plus 32 bytes
// per segment per share and per segment for the hash trees, plus one
// trailer at a time.
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
// erasure-codes it, and returns each share's block, in new memory.
func (e *Encoder) EncodeSegment(r io.Reader) (Write, error) {
	if e.next >= e.g.numSegments {
		return Write{}, fmt.Errorf("%w: segment %d of %d", errOrder, e.next+1, e.g.numSegments)
	}
	_, bs := e.g.segment(e.next)
	buf := make([]byte, e.g.n*bs)
	dst := make([][]byte, e.g.n)
	for i := range dst {
		dst[i] = buf[i*bs : (i+1)*bs : (i+1)*bs]
	}
	return e.EncodeSegmentInto(r, dst)
}

// BlockSize is the length of each share's block of every segment but the
// last, whose blocks may be shorter: what EncodeSegmentInto needs.
func (e *Encoder) BlockSize() int { return e.g.blockSize }

// EncodeSegmentInto is EncodeSegment writing share i's block into dst[i],
// which needs a capacity of at least BlockSize; the Write's Data[i] is
// dst[i] cut to the segment's block size. Whatever dst held is
// overwritten, padding included, so a caller streaming a large file can
// reuse the same few buffers for every segment instead of making a
// segment's worth of garbage each time (docs/direct.md, Writing and
// memory).
func (e *Encoder) EncodeSegmentInto(r io.Reader, dst [][]byte) (Write, error) {
	if e.next >= e.g.numSegments {
		return Write{}, fmt.Errorf("%w: segment %d of %d", errOrder, e.next+1, e.g.numSegments)
	}
	plain, bs := e.g.segment(e.next)
	if len(dst) != e.g.n {
		return Write{}, fmt.Errorf("chk: EncodeSegmentInto: %d buffers for %d shares", len(dst), e.g.n)
	}
	blocks := make([][]byte, e.g.n)
	for i, d := range dst {
		if cap(d) < bs {
			return Write{}, fmt.Errorf("chk: EncodeSegmentInto: buffer %d holds %d bytes, the block is %d", i, cap(d), bs)
		}
		blocks[i] = d[:bs:bs]
	}
	// Block i < k is plaintext bytes [i*bs, (i+1)*bs) of the segment,
	// encrypted in place; a short last segment's are padded with zeros.
	cts := make([][]byte, e.g.k) // the ciphertext, unpadded
	read := 0
	for i, b := range blocks[:e.g.k] {
		m := min(bs, plain-read)
		n, err := io.ReadFull(r, b[:m])
		read += n
		if err != nil {
			return Write{}, fmt.Errorf("chk: segment %d: got %d of %d bytes: %w", e.next, read, plain, noEOF(err))
		}
		clear(b[m:])
		cts[i] = b[:m]
		e.stream.XORKeyStream(cts[i], cts[i])
	}
	seg := tahoehash.NewCrypttextSegmentHasher()
	hashes := make([]tahoehash.Digest, e.g.n)
	if procs := runtime.GOMAXPROCS(0); procs > 1 && plain >= parallelSegment {
		e.hashAndCode(procs, blocks, cts, seg, hashes)
	} else {
		for _, ct := range cts {
			e.crypttext.Write(ct)
			seg.Write(ct)
		}
		e.code.Encode(blocks[:e.g.k], blocks[e.g.k:])
		for i, b := range blocks {
			hashes[i] = tahoehash.BlockHash(b)
		}
	}
	e.segHashes = append(e.segHashes, seg.Sum())
	for i, h := range hashes {
		e.blockHashes[i] = append(e.blockHashes[i], h)
	}
	w := Write{Offset: e.l.data + e.next*int64(e.g.blockSize), Data: blocks}
	e.next++
	return w, nil
}

// parallelSegment is the plaintext size from which a segment's hashes and
// erasure code are computed on several cores: a large file's 1 MiB
// segments, not a small file's few KiB (where starting goroutines would
// cost more than they save).
const parallelSegment = 256 << 10

// hashAndCode does what the sequential branch of EncodeSegmentInto does,
// on up to procs cores: the two ciphertext hashes, the data blocks' hashes
// and the erasure code (split by byte range: zfec works on each byte
// position alone) at once, then the check blocks' hashes. The bytes are
// the same; a single large upload is then not held to one core, which is
// what lets the direct uploader stream one large file at a time
// (docs/direct.md, Writing and memory).
func (e *Encoder) hashAndCode(procs int, blocks, cts [][]byte, seg *tahoehash.Hasher, hashes []tahoehash.Digest) {
	k := e.g.k
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, ct := range cts {
			e.crypttext.Write(ct)
		}
	})
	wg.Go(func() {
		for _, ct := range cts {
			seg.Write(ct)
		}
	})
	for i := range k {
		wg.Go(func() { hashes[i] = tahoehash.BlockHash(blocks[i]) })
	}
	bs := len(blocks[0])
	parts := min(procs, 4)
	step := max(64, (bs/parts+63)&^63)
	var code sync.WaitGroup
	for lo := 0; lo < bs; lo += step {
		hi := min(lo+step, bs)
		code.Go(func() {
			src, dst := make([][]byte, k), make([][]byte, len(blocks)-k)
			for i := range src {
				src[i] = blocks[i][lo:hi]
			}
			for i := range dst {
				dst[i] = blocks[k+i][lo:hi]
			}
			e.code.Encode(src, dst)
		})
	}
	code.Wait()
	for i := k; i < len(blocks); i++ {
		wg.Go(func() { hashes[i] = tahoehash.BlockHash(blocks[i]) })
	}
	wg.Wait()
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
