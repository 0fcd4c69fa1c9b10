package chk

import (
	"errors"
	"fmt"
)

// DefaultMaxSegmentSize is Tahoe 1.20's DEFAULT_IMMUTABLE_MAX_SEGMENT_SIZE
// (1 MiB; older Tahoe used 128 KiB). A gateway's tahoe.cfg can change it
// with [client] shares._max_immutable_segment_size_for_testing.
const DefaultMaxSegmentSize = 1 << 20

// MaxLITSize is the largest file Tahoe stores in a LIT cap instead of
// encoding it (Uploader.URI_LIT_SIZE_THRESHOLD). Encode still accepts
// smaller files, as Tahoe's encoder does, but the gateway would not make
// CHK caps for them.
const MaxLITSize = 55

// Params are the encoding parameters of the gateway being imitated: its
// tahoe.cfg [client] shares.needed and shares.total (shares.happy only
// governs placement and does not change the encoding).
type Params struct {
	Needed         int // k: shares needed to read the file, 1..256
	Total          int // n: shares made, Needed..256
	MaxSegmentSize int // 0 means DefaultMaxSegmentSize
}

func (p Params) check() error {
	if p.Needed < 1 || p.Total < p.Needed || p.Total > 256 {
		return fmt.Errorf("chk: bad encoding %d-of-%d (want 1 <= needed <= total <= 256)", p.Needed, p.Total)
	}
	if p.MaxSegmentSize < 0 {
		return fmt.Errorf("chk: negative maximum segment size %d", p.MaxSegmentSize)
	}
	return nil
}

func (p Params) maxSegment() int64 {
	if p.MaxSegmentSize == 0 {
		return DefaultMaxSegmentSize
	}
	return int64(p.MaxSegmentSize)
}

var errEmpty = errors.New("chk: an empty file has no CHK encoding (Tahoe makes it a LIT cap)")

// SegmentSize is the segment size Tahoe uses for a file of size bytes
// (upload.py BaseUploadable.get_all_encoding_parameters): the maximum, or
// the file size if smaller, rounded up to a multiple of Needed. It enters
// the convergent key and the URI extension block.
func SegmentSize(p Params, size int64) (int, error) {
	if err := p.check(); err != nil {
		return 0, err
	}
	if size <= 0 {
		return 0, errEmpty
	}
	seg := min(p.maxSegment(), size)
	return int(nextMultiple(seg, int64(p.Needed))), nil
}

// geometry is how a file of a given size splits into segments and blocks
// (encode.py Encoder._got_all_encoding_parameters).
type geometry struct {
	k, n          int
	size          int64
	segSize       int   // every segment but the last
	numSegments   int64 // at least 1
	blockSize     int   // segSize / k
	tailSize      int   // plaintext bytes in the last segment
	tailBlockSize int   // ceil(tailSize / k)
	shareDataSize int64 // ceil(size / k): all blocks of one share
}

func newGeometry(p Params, size int64) (geometry, error) {
	seg, err := SegmentSize(p, size)
	if err != nil {
		return geometry{}, err
	}
	g := geometry{k: p.Needed, n: p.Total, size: size, segSize: seg}
	g.numSegments = divCeil(size, int64(seg))
	g.blockSize = seg / g.k
	g.tailSize = int(size - (g.numSegments-1)*int64(seg))
	g.tailBlockSize = int(divCeil(int64(g.tailSize), int64(g.k)))
	g.shareDataSize = divCeil(size, int64(g.k))
	return g, nil
}

// segment returns the plaintext length and block size of segment i.
func (g geometry) segment(i int64) (plain, block int) {
	if i == g.numSegments-1 {
		return g.tailSize, g.tailBlockSize
	}
	return g.segSize, g.blockSize
}

func divCeil(n, d int64) int64      { return (n + d - 1) / d }
func nextMultiple(n, k int64) int64 { return divCeil(n, k) * k }
