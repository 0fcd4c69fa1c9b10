package chk

import (
	"encoding/binary"

	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
)

// layout is where each section of a share goes (immutable/layout.py
// WriteBucketProxy and WriteBucketProxy_v2). Offsets are within the share
// data, which the storage server keeps after its own container header.
//
//	header | blocks | plaintext hash tree (zeros) | crypttext hash tree |
//	block hash tree | share hashes | UEB length | UEB
//
// Every share of a file has the same layout.
type layout struct {
	version        int   // 1, or 2 when a v1 field would overflow 32 bits
	headerSize     int64 // 0x24 (v1) or 0x44 (v2)
	lengthSize     int   // size of the UEB length field: 4 (v1) or 8 (v2)
	blockSize      int64
	dataSize       int64
	treeSize       int64 // bytes of one segment hash tree
	shareHashes    int   // nodes of the share hash tree in each share
	uebSize        int
	data           int64
	plaintextTree  int64 // unused by Tahoe since 1.3; zero-filled
	crypttextTree  int64
	blockHashes    int64
	shareHashesOff int64
	uebOff         int64
}

// forceV2 makes small v2 shares in tests (layout.py FORCE_V2).
var forceV2 = false

func newLayout(g geometry) layout {
	l := layout{
		blockSize:   int64(g.blockSize),
		dataSize:    g.shareDataSize,
		treeSize:    int64(tahoehash.TreeNodes(int(g.numSegments))) * tahoehash.Size,
		shareHashes: treeDepth(g.n) + 1,
		uebSize:     uebSize(g),
	}
	l.place(1, 0x24, 4)
	if forceV2 || l.blockSize >= 1<<32 || l.dataSize >= 1<<32 || l.uebOff >= 1<<32 {
		l.place(2, 0x44, 8)
	}
	return l
}

func (l *layout) place(version int, header int64, lengthSize int) {
	l.version, l.headerSize, l.lengthSize = version, header, lengthSize
	l.data = header
	l.plaintextTree = l.data + l.dataSize
	l.crypttextTree = l.plaintextTree + l.treeSize
	l.blockHashes = l.crypttextTree + l.treeSize
	l.shareHashesOff = l.blockHashes + l.treeSize
	l.uebOff = l.shareHashesOff + int64(l.shareHashes)*(2+tahoehash.Size)
}

// shareSize is the allocated size of each share (get_allocated_size).
func (l layout) shareSize() int64 {
	return l.uebOff + int64(l.lengthSize) + int64(l.uebSize)
}

// header is the offset table at the start of each share.
func (l layout) header() []byte {
	fields := []int64{l.blockSize, l.dataSize, l.data, l.plaintextTree,
		l.crypttextTree, l.blockHashes, l.shareHashesOff, l.uebOff}
	h := binary.BigEndian.AppendUint32(nil, uint32(l.version))
	for _, f := range fields {
		if l.version == 1 {
			h = binary.BigEndian.AppendUint32(h, uint32(f))
		} else {
			h = binary.BigEndian.AppendUint64(h, uint64(f))
		}
	}
	return h
}

// trailer is everything after the blocks of one share.
func (l layout) trailer(crypttextTree, blockTree []byte, shareHashes []shareHash, ueb []byte) []byte {
	out := make([]byte, l.shareSize()-l.plaintextTree)
	p := l.treeSize // the plaintext hash tree stays zero
	p += int64(copy(out[p:], crypttextTree))
	p += int64(copy(out[p:], blockTree))
	for _, h := range shareHashes {
		binary.BigEndian.PutUint16(out[p:], uint16(h.node))
		copy(out[p+2:], h.hash[:])
		p += 2 + tahoehash.Size
	}
	if l.lengthSize == 4 {
		binary.BigEndian.PutUint32(out[p:], uint32(len(ueb)))
	} else {
		binary.BigEndian.PutUint64(out[p:], uint64(len(ueb)))
	}
	copy(out[p+int64(l.lengthSize):], ueb)
	return out
}

// shareHash is one node of the share hash tree stored in a share.
type shareHash struct {
	node int
	hash tahoehash.Digest
}

func treeBytes(t tahoehash.Tree) []byte {
	out := make([]byte, 0, len(t)*tahoehash.Size)
	for _, d := range t {
		out = append(out, d[:]...)
	}
	return out
}

// treeDepth is the number of levels below the root of a tree over n leaves:
// each share stores one node per level plus its own leaf.
func treeDepth(n int) int {
	d := 0
	for 1<<d < n {
		d++
	}
	return d
}
