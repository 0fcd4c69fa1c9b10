package pxz

import (
	"encoding/binary"
	"hash/crc32"
	"hash/crc64"
)

// The .xz container (xz-file-format.txt, version 1.0.4): stream header,
// blocks, index, stream footer. Multibyte integers are little-endian;
// sizes inside headers and the index are variable-length integers of 7
// bits per byte.
var (
	headerMagic = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}
	footerMagic = []byte{'Y', 'Z'}
)

const (
	checkCRC64  = 0x04 // stream flags: the check type
	checkSize   = 8
	filterLZMA2 = 0x21
	// Block flags: one filter (bits 0-1 = count-1), both sizes present.
	blockFlags = 0x40 | 0x80
)

var crc64Table = crc64.MakeTable(crc64.ECMA)

// streamFlags are the two flag bytes of the stream header and footer.
func streamFlags() []byte { return []byte{0x00, checkCRC64} }

// streamHeader is the 12-byte stream header.
func streamHeader() []byte {
	b := append([]byte{}, headerMagic...)
	b = append(b, streamFlags()...)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(streamFlags()))
}

// appendVarint appends x as an .xz variable-length integer.
func appendVarint(b []byte, x uint64) []byte {
	for x >= 0x80 {
		b = append(b, byte(x)|0x80)
		x >>= 7
	}
	return append(b, byte(x))
}

// dictProp is the LZMA2 property byte for the smallest dictionary size it
// can express that is at least dict: size(p) = (2 | p&1) << (p/2 + 11).
func dictProp(dict int) byte {
	for p := 0; p < 40; p++ {
		if int64(2|p&1)<<(p/2+11) >= int64(dict) {
			return byte(p)
		}
	}
	return 40 // 4 GiB - 1
}

// blockHeader is a block header giving both sizes and the LZMA2 filter.
func blockHeader(compressed, uncompressed int64, prop byte) []byte {
	b := []byte{0, blockFlags} // size byte filled in below
	b = appendVarint(b, uint64(compressed))
	b = appendVarint(b, uint64(uncompressed))
	b = append(b, filterLZMA2, 1, prop) // filter ID, properties size, properties
	for (len(b)+4)%4 != 0 {
		b = append(b, 0) // header padding
	}
	b[0] = byte((len(b)+4)/4 - 1)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// padding returns the zero bytes that make n a multiple of four.
func padding(n int64) []byte { return make([]byte, (4-n%4)%4) }

// record is one index entry: a block's unpadded size (header, compressed
// data and check, without block padding) and its uncompressed size.
type record struct{ unpadded, uncompressed int64 }

// index is the stream's index followed by its footer.
func index(recs []record) []byte {
	b := []byte{0x00} // index indicator
	b = appendVarint(b, uint64(len(recs)))
	for _, r := range recs {
		b = appendVarint(b, uint64(r.unpadded))
		b = appendVarint(b, uint64(r.uncompressed))
	}
	b = append(b, padding(int64(len(b)))...)
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	return append(b, footer(len(b))...)
}

// footer is the 12-byte stream footer for an index of indexSize bytes.
func footer(indexSize int) []byte {
	tail := binary.LittleEndian.AppendUint32(nil, uint32(indexSize/4-1)) // backward size
	tail = append(tail, streamFlags()...)
	b := binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(tail))
	b = append(b, tail...)
	return append(b, footerMagic...)
}
