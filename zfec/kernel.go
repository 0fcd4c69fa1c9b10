package zfec

import "encoding/binary"

// The block arithmetic (see docs/zfec.md) computes a group of up to eight
// outputs at once from lookup tables: for each source block i, the table
// maps a source byte x to the word whose byte j is c(j,i)·x for the
// group's outputs j, so one lookup per source byte serves the whole group.
// For eight consecutive positions this gives an 8×8 byte matrix
// (position × output) whose transpose holds eight bytes of each output,
// stored as one word per output. A group of w outputs uses 8/L positions
// per word, where L (the lanes) is w rounded up to 1, 2, 4 or 8: fewer
// lanes mean fewer registers and fewer transposition rounds.

// maxLanes is the size of the largest group.
const maxLanes = 8

// tables holds the lookup tables of one coefficient matrix.
type tables struct {
	groups []group
}

// group is up to maxLanes consecutive outputs.
type group struct {
	first, width int           // outputs first .. first+width-1
	lanes        int           // 1, 2, 4 or 8 >= width
	tabs         [][256]uint64 // per source; byte j of tabs[i][x] is c(first+j, i)·x
}

// newTables builds the tables for coef, whose row j holds the coefficients
// of output j over the sources.
func newTables(coef []byte, outputs, sources int) *tables {
	t := &tables{}
	for first := 0; first < outputs; first += maxLanes {
		g := group{first: first, width: min(maxLanes, outputs-first)}
		g.lanes = 1
		for g.lanes < g.width {
			g.lanes *= 2
		}
		g.tabs = make([][256]uint64, sources)
		for j := range g.width {
			for i := range sources {
				c := coef[(first+j)*sources+i]
				tab := &g.tabs[i]
				for x := range 256 {
					tab[x] |= uint64(gfMul(c, byte(x))) << (8 * j)
				}
			}
		}
		t.groups = append(t.groups, g)
	}
	return t
}

// chunkBytes bounds how much of each block one pass over the groups reads,
// so that the sources stay in cache while every group uses them.
const chunkBytes = 4096

// apply sets dst[j] = XOR over i of c(j,i)·src[i] for every output j. All
// blocks have the same length.
func (t *tables) apply(dst, src [][]byte) {
	size := len(src[0])
	words := size &^ 7
	for start := 0; start < words; start += chunkBytes {
		end := min(start+chunkBytes, words)
		for i := range t.groups {
			g := &t.groups[i]
			g.apply(dst[g.first:g.first+g.width], src, start, end)
		}
	}
	if words < size {
		t.applyTail(dst, src, words)
	}
}

// applyTail computes the last size%8 bytes from copies padded with zeros
// to a whole word.
func (t *tables) applyTail(dst, src [][]byte, off int) {
	var pad [MaxN][8]byte // len(src)+len(dst) <= n
	var blocks [MaxN][]byte
	for i := range len(src) + len(dst) {
		blocks[i] = pad[i][:]
	}
	for i, s := range src {
		copy(pad[i][:], s[off:])
	}
	out := blocks[len(src) : len(src)+len(dst)]
	for i := range t.groups {
		g := &t.groups[i]
		g.apply(out[g.first:g.first+g.width], blocks[:len(src)], 0, 8)
	}
	for j, d := range dst {
		copy(d[off:], out[j])
	}
}

// apply computes the group's outputs for the whole words from start to
// end.
func (g *group) apply(dst, src [][]byte, start, end int) {
	var out [maxLanes]uint64
	for off := start; off < end; off += 8 {
		switch g.lanes {
		case 1:
			out[0] = lanes1(src, g.tabs, off)
		case 2:
			out[0], out[1] = unzip2(lanes2(src, g.tabs, off))
		case 4:
			out[0], out[1], out[2], out[3] = unzip4(lanes4(src, g.tabs, off))
		default:
			out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7] =
				transpose8(lanes8(src, g.tabs, off))
		}
		for j, d := range dst {
			binary.LittleEndian.PutUint64(d[off:off+8], out[j])
		}
	}
}

// The lanesL functions look up the eight source bytes at off in every
// source and XOR the results into L words, each holding 8/L positions of
// L lanes: word r gets position r+L·q at bit 8·L·q. They stay separate
// functions (noinline) so that their words live in registers rather than
// being spilled around the caller's loop.

//go:noinline
func lanes1(src [][]byte, tabs [][256]uint64, off int) (a uint64) {
	tabs = tabs[:len(src)]
	for i, s := range src {
		w, t := binary.LittleEndian.Uint64(s[off:]), &tabs[i]
		a ^= t[byte(w)] | t[byte(w>>8)]<<8 | t[byte(w>>16)]<<16 | t[byte(w>>24)]<<24 |
			t[byte(w>>32)]<<32 | t[byte(w>>40)]<<40 | t[byte(w>>48)]<<48 | t[w>>56]<<56
	}
	return a
}

//go:noinline
func lanes2(src [][]byte, tabs [][256]uint64, off int) (a0, a1 uint64) {
	tabs = tabs[:len(src)]
	for i, s := range src {
		w, t := binary.LittleEndian.Uint64(s[off:]), &tabs[i]
		a0 ^= t[byte(w)] | t[byte(w>>16)]<<16 | t[byte(w>>32)]<<32 | t[byte(w>>48)]<<48
		a1 ^= t[byte(w>>8)] | t[byte(w>>24)]<<16 | t[byte(w>>40)]<<32 | t[w>>56]<<48
	}
	return a0, a1
}

//go:noinline
func lanes4(src [][]byte, tabs [][256]uint64, off int) (a0, a1, a2, a3 uint64) {
	tabs = tabs[:len(src)]
	for i, s := range src {
		w, t := binary.LittleEndian.Uint64(s[off:]), &tabs[i]
		a0 ^= t[byte(w)] | t[byte(w>>32)]<<32
		a1 ^= t[byte(w>>8)] | t[byte(w>>40)]<<32
		a2 ^= t[byte(w>>16)] | t[byte(w>>48)]<<32
		a3 ^= t[byte(w>>24)] | t[w>>56]<<32
	}
	return a0, a1, a2, a3
}

//go:noinline
func lanes8(src [][]byte, tabs [][256]uint64, off int) (a0, a1, a2, a3, a4, a5, a6, a7 uint64) {
	tabs = tabs[:len(src)]
	for i, s := range src {
		w, t := binary.LittleEndian.Uint64(s[off:]), &tabs[i]
		a0 ^= t[byte(w)]
		a1 ^= t[byte(w>>8)]
		a2 ^= t[byte(w>>16)]
		a3 ^= t[byte(w>>24)]
		a4 ^= t[byte(w>>32)]
		a5 ^= t[byte(w>>40)]
		a6 ^= t[byte(w>>48)]
		a7 ^= t[w>>56]
	}
	return a0, a1, a2, a3, a4, a5, a6, a7
}

// transpose8 turns eight rows (byte j of row p) into columns (byte p of
// row j) in three rounds that swap 4×4, 2×2 and 1×1 blocks of bytes.
// unzip4 and unzip2 are its last two rounds and its last round, for the
// words of lanes4 and lanes2, which start where the first rounds end.
func transpose8(v0, v1, v2, v3, v4, v5, v6, v7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	v0, v4 = swapBits(v0, v4, 32, 0x00000000ffffffff)
	v1, v5 = swapBits(v1, v5, 32, 0x00000000ffffffff)
	v2, v6 = swapBits(v2, v6, 32, 0x00000000ffffffff)
	v3, v7 = swapBits(v3, v7, 32, 0x00000000ffffffff)
	v0, v1, v2, v3 = unzip4(v0, v1, v2, v3)
	v4, v5, v6, v7 = unzip4(v4, v5, v6, v7)
	return v0, v1, v2, v3, v4, v5, v6, v7
}

func unzip4(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0, v2 = swapBits(v0, v2, 16, 0x0000ffff0000ffff)
	v1, v3 = swapBits(v1, v3, 16, 0x0000ffff0000ffff)
	v0, v1 = unzip2(v0, v1)
	v2, v3 = unzip2(v2, v3)
	return v0, v1, v2, v3
}

func unzip2(v0, v1 uint64) (uint64, uint64) {
	return swapBits(v0, v1, 8, 0x00ff00ff00ff00ff)
}

// swapBits exchanges the bits of a under m<<s with the bits of b under m.
func swapBits(a, b uint64, s uint, m uint64) (uint64, uint64) {
	t := (a>>s ^ b) & m
	return a ^ t<<s, b ^ t
}
