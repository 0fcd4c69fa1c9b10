package restore

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// The xz decoder (ulikunitz/xz) allocates the dictionary a block header
// asks for, up to 4 GiB, before it decodes a byte: a hostile tree could
// make every restore job allocate that much. xzGuard passes the stream
// through unchanged but checks every block header first, and fails before
// one whose LZMA2 dictionary exceeds the limit reaches the decoder
// (docs/restore.md, xz dictionary limit). It follows the container
// (docs of the .xz format 1.2.1: stream header, block headers, LZMA2 chunk
// headers, index, footer, padding, concatenated streams) without decoding.

// errDictTooLarge: a block asks for more dictionary than allowed.
var errDictTooLarge = errors.New("xz: the stream asks for a dictionary larger than this file can need")

const (
	minDictLimit = 64 << 20   // the largest any xz preset uses (-9)
	maxDictLimit = 1536 << 20 // the largest the uploader may be configured to use
)

// dictLimit is the largest dictionary allowed for a file of recorded
// size (-1 when unknown): 64 MiB, or the next power of two of the size
// (what the uploader uses) when that is larger, at most 1.5 GiB.
func dictLimit(size int64) int64 {
	if size <= minDictLimit {
		return minDictLimit
	}
	return min(int64(1)<<bits.Len64(uint64(size-1)), maxDictLimit)
}

// guardXZ returns a reader of src that fails with errDictTooLarge (or a
// format error) instead of passing on a block header whose dictionary
// exceeds limit. Close the result to stop its goroutine.
func guardXZ(src io.Reader, limit int64) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		g := &xzGuard{r: bufio.NewReaderSize(src, 64<<10), w: pw, limit: limit}
		pw.CloseWithError(g.streams())
	}()
	return pr
}

type xzGuard struct {
	r     *bufio.Reader
	w     io.Writer
	limit int64
	check int // bytes of the check field of the current stream
}

// pass reads n bytes and passes them on.
func (g *xzGuard) pass(n int64) error {
	_, err := io.CopyN(g.w, g.r, n)
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// take reads exactly n bytes without passing them on yet.
func (g *xzGuard) take(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(g.r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

// streams passes one or more concatenated streams and their padding.
func (g *xzGuard) streams() error {
	for first := true; ; first = false {
		if !first {
			if err := g.padding(); err != nil {
				return err
			}
			if _, err := g.r.Peek(1); err == io.EOF {
				return nil
			}
		}
		if err := g.stream(); err != nil {
			return err
		}
	}
}

// padding passes stream padding (zero bytes, four at a time).
func (g *xzGuard) padding() error {
	for {
		b, _ := g.r.Peek(4)
		if len(b) < 4 || binary.LittleEndian.Uint32(b) != 0 {
			return nil // the end, the next stream, or garbage the decoder reports
		}
		if err := g.pass(4); err != nil {
			return err
		}
	}
}

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0}

func (g *xzGuard) stream() error {
	h, err := g.take(12)
	if err != nil {
		return err
	}
	if string(h[:6]) != string(xzMagic) {
		return errors.New("xz: not an xz stream")
	}
	g.check = checkSize(h[7] & 0x0f)
	if _, err := g.w.Write(h); err != nil {
		return err
	}
	for {
		b, err := g.r.Peek(1)
		if err != nil {
			return io.ErrUnexpectedEOF
		}
		if b[0] == 0 {
			return g.indexAndFooter()
		}
		if err := g.block(int(b[0]+1) * 4); err != nil {
			return err
		}
	}
}

// checkSize is the size of the check field for a check ID.
func checkSize(id byte) int {
	if id == 0 {
		return 0
	}
	return 4 << ((id - 1) / 3)
}

// block checks a block header of size n, then passes it, the LZMA2
// chunks, the block padding and the check.
func (g *xzGuard) block(n int) error {
	h, err := g.take(n)
	if err != nil {
		return err
	}
	if err := g.checkHeader(h); err != nil {
		return err
	}
	if _, err := g.w.Write(h); err != nil {
		return err
	}
	data, err := g.chunks()
	if err != nil {
		return err
	}
	pad := (4 - (int64(n)+data)%4) % 4
	return g.pass(pad + int64(g.check))
}

// checkHeader finds the LZMA2 filter in a block header and checks its
// dictionary size.
func (g *xzGuard) checkHeader(h []byte) error {
	br := &byteReader{b: h[1 : len(h)-4]}
	flags, err := br.byte()
	if err != nil {
		return err
	}
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} {
		if present {
			if _, err := br.uvarint(); err != nil {
				return err
			}
		}
	}
	filters := int(flags&3) + 1
	for i := 0; i < filters; i++ {
		id, err := br.uvarint()
		if err != nil {
			return err
		}
		size, err := br.uvarint()
		if err != nil {
			return err
		}
		props, err := br.bytes(size)
		if err != nil {
			return err
		}
		if id != 0x21 { // LZMA2; the decoder refuses other filters itself
			continue
		}
		if len(props) != 1 || props[0] > 40 {
			return errors.New("xz: bad LZMA2 properties")
		}
		if d := lzma2Dict(props[0]); d > g.limit {
			return fmt.Errorf("%w (%d MiB, at most %d MiB allowed)", errDictTooLarge, d>>20, g.limit>>20)
		}
		if i != filters-1 {
			return errors.New("xz: LZMA2 is not the last filter")
		}
		return nil
	}
	return errors.New("xz: the block has no LZMA2 filter")
}

// lzma2Dict decodes the dictionary size of LZMA2's property byte.
func lzma2Dict(p byte) int64 {
	if p == 40 {
		return 1<<32 - 1
	}
	return int64(2|p&1) << (p/2 + 11)
}

// chunks passes LZMA2 chunks up to and including the end marker and
// returns how many bytes they took.
func (g *xzGuard) chunks() (int64, error) {
	var n int64
	for {
		c, err := g.take(1)
		if err != nil {
			return 0, err
		}
		var head []byte
		var packed int64
		switch ctl := c[0]; {
		case ctl == 0:
			_, err := g.w.Write(c)
			return n + 1, err
		case ctl == 1 || ctl == 2:
			if head, err = g.take(2); err != nil {
				return 0, err
			}
			packed = int64(binary.BigEndian.Uint16(head)) + 1
		case ctl >= 0x80:
			k := 4
			if ctl>>5&3 >= 2 {
				k = 5 // a properties byte follows
			}
			if head, err = g.take(k); err != nil {
				return 0, err
			}
			packed = int64(binary.BigEndian.Uint16(head[2:4])) + 1
		default:
			return 0, errors.New("xz: bad LZMA2 chunk")
		}
		if _, err := g.w.Write(append(c, head...)); err != nil {
			return 0, err
		}
		if err := g.pass(packed); err != nil {
			return 0, err
		}
		n += 1 + int64(len(head)) + packed
	}
}

// indexAndFooter passes the index (indicator, records, padding, CRC32)
// and the stream footer.
func (g *xzGuard) indexAndFooter() error {
	cr := &countingReader{r: g.r, w: g.w}
	if _, err := cr.uvarint(); err != nil { // the indicator, 0
		return err
	}
	records, err := cr.uvarint()
	if err != nil {
		return err
	}
	for i := uint64(0); i < 2*records; i++ {
		if _, err := cr.uvarint(); err != nil {
			return err
		}
	}
	pad := (4 - cr.n%4) % 4
	return g.pass(pad + 4 + 12) // padding, CRC32, footer
}

// countingReader reads the index's varints from r one byte at a time,
// passing them on to w and counting them.
type countingReader struct {
	r *bufio.Reader
	w io.Writer
	n int64
}

func (c *countingReader) uvarint() (uint64, error) {
	var v uint64
	for i := 0; i < 9; i++ {
		b, err := c.r.ReadByte()
		if err != nil {
			return 0, io.ErrUnexpectedEOF
		}
		if _, err := c.w.Write([]byte{b}); err != nil {
			return 0, err
		}
		c.n++
		v |= uint64(b&0x7f) << (7 * i)
		if b&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("xz: bad varint")
}

// byteReader reads the fields of a block header.
type byteReader struct {
	b []byte
}

func (r *byteReader) byte() (byte, error) {
	if len(r.b) == 0 {
		return 0, errors.New("xz: short block header")
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c, nil
}

func (r *byteReader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		return 0, errors.New("xz: bad block header")
	}
	r.b = r.b[n:]
	return v, nil
}

func (r *byteReader) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)) {
		return nil, errors.New("xz: short block header")
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b, nil
}
