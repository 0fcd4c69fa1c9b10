package treeformat

import (
	"strconv"
	"strings"
)

// Hole is a range of a sparse file that holds no data (it reads as
// zeros): Len bytes from offset Off.
type Hole struct{ Off, Len int64 }

// MaxHoles is the most holes a sparse key lists; a file with more is
// recorded as SparseZeros.
const MaxHoles = 1024

// SparseZeros is the sparse value that lists no holes: restore leaves
// every all-zero 4 KiB block as a hole. It is also how any value that is
// not a hole list reads (docs/metadata.md, Sparse files).
const SparseZeros = "zeros"

// encodeHoles is the sparse value of a file with these holes (ascending,
// not overlapping): "OFF:LEN,OFF:LEN,..." in decimal bytes, or
// SparseZeros when there are none or more than MaxHoles.
func encodeHoles(hs []Hole) string {
	if len(hs) == 0 || len(hs) > MaxHoles {
		return SparseZeros
	}
	var b strings.Builder
	for i, h := range hs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(h.Off, 10))
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(h.Len, 10))
	}
	return b.String()
}

// decodeHoles reads a hole list of a file of size bytes (-1: unknown);
// nil when v is not one: ascending, each hole at least one byte, none
// overlapping or touching the next, none past the end, at most MaxHoles.
func decodeHoles(v any, size int64) []Hole {
	s, ok := v.(string)
	if !ok || s == "" || s == SparseZeros {
		return nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxHoles {
		return nil
	}
	hs := make([]Hole, 0, len(parts))
	end := int64(-1)
	for _, p := range parts {
		o, l, ok := strings.Cut(p, ":")
		off, err1 := strconv.ParseInt(o, 10, 64)
		n, err2 := strconv.ParseInt(l, 10, 64)
		if !ok || err1 != nil || err2 != nil || off <= end || n <= 0 || off > (1<<62)-n ||
			size >= 0 && off+n > size {
			return nil
		}
		hs = append(hs, Hole{off, n})
		end = off + n
	}
	return hs
}
