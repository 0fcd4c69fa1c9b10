package storageapi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// A minimal CBOR (RFC 8949) codec for the few shapes the storage protocol
// exchanges (docs/storage-protocol.md): maps keyed by text or byte strings,
// unsigned integers, byte strings, arrays, and tag 258 (a set) around an
// array. Tahoe's server encodes with cbor2, which uses definite lengths
// only, so indefinite lengths, floats and other tags are refused.

const (
	majorUint  = 0
	majorNeg   = 1
	majorBytes = 2
	majorText  = 3
	majorArray = 4
	majorMap   = 5
	majorTag   = 6
	majorOther = 7

	tagSet = 258
)

// cborEncoder appends CBOR items to b.
type cborEncoder struct{ b []byte }

func (e *cborEncoder) head(major byte, n uint64) {
	m := major << 5
	switch {
	case n < 24:
		e.b = append(e.b, m|byte(n))
	case n <= math.MaxUint8:
		e.b = append(e.b, m|24, byte(n))
	case n <= math.MaxUint16:
		e.b = binary.BigEndian.AppendUint16(append(e.b, m|25), uint16(n))
	case n <= math.MaxUint32:
		e.b = binary.BigEndian.AppendUint32(append(e.b, m|26), uint32(n))
	default:
		e.b = binary.BigEndian.AppendUint64(append(e.b, m|27), n)
	}
}

func (e *cborEncoder) uint(n uint64) { e.head(majorUint, n) }

func (e *cborEncoder) text(s string) {
	e.head(majorText, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *cborEncoder) mapOf(pairs int) { e.head(majorMap, uint64(pairs)) }

// set writes tag 258 around an array of the sorted, distinct ns.
func (e *cborEncoder) set(ns []int) {
	s := slices.Clone(ns)
	slices.Sort(s)
	s = slices.Compact(s)
	e.head(majorTag, tagSet)
	e.head(majorArray, uint64(len(s)))
	for _, n := range s {
		e.uint(uint64(n))
	}
}

// cborSet is a decoded tag 258.
type cborSet []any

// maxCBORDepth bounds nesting; the protocol's answers nest three deep.
const maxCBORDepth = 16

var errCBOR = errors.New("malformed CBOR")

// cborDecode decodes exactly one item filling data. Values are uint64,
// int64 (negative), []byte, string, []any, map[string]any (byte and text
// keys alike), cborSet, bool and nil.
func cborDecode(data []byte) (any, error) {
	d := cborDecoder{b: data}
	v, err := d.item(0)
	if err != nil {
		return nil, err
	}
	if d.off != len(d.b) {
		return nil, fmt.Errorf("%w: %d bytes after the item", errCBOR, len(d.b)-d.off)
	}
	return v, nil
}

type cborDecoder struct {
	b   []byte
	off int
}

// head reads an item's major type and argument.
func (d *cborDecoder) head() (byte, uint64, error) {
	if d.off >= len(d.b) {
		return 0, 0, fmt.Errorf("%w: truncated", errCBOR)
	}
	ib := d.b[d.off]
	d.off++
	major, info := ib>>5, ib&31
	if info < 24 {
		return major, uint64(info), nil
	}
	if info > 27 {
		return 0, 0, fmt.Errorf("%w: indefinite length or reserved value", errCBOR)
	}
	n := 1 << (info - 24)
	if len(d.b)-d.off < n {
		return 0, 0, fmt.Errorf("%w: truncated", errCBOR)
	}
	var arg uint64
	for _, c := range d.b[d.off : d.off+n] {
		arg = arg<<8 | uint64(c)
	}
	d.off += n
	return major, arg, nil
}

func (d *cborDecoder) item(depth int) (any, error) {
	if depth > maxCBORDepth {
		return nil, fmt.Errorf("%w: nested too deep", errCBOR)
	}
	if d.off < len(d.b) && d.b[d.off]>>5 == majorOther && d.b[d.off]&31 >= 24 {
		return nil, fmt.Errorf("%w: a float or extended simple value", errCBOR)
	}
	major, arg, err := d.head()
	if err != nil {
		return nil, err
	}
	switch major {
	case majorUint:
		return arg, nil
	case majorNeg:
		if arg > math.MaxInt64 {
			return nil, fmt.Errorf("%w: integer out of range", errCBOR)
		}
		return -1 - int64(arg), nil
	case majorBytes, majorText:
		if arg > uint64(len(d.b)-d.off) {
			return nil, fmt.Errorf("%w: truncated string", errCBOR)
		}
		s := d.b[d.off : d.off+int(arg)]
		d.off += int(arg)
		if major == majorText {
			return string(s), nil
		}
		return slices.Clone(s), nil
	case majorArray:
		return d.array(arg, depth)
	case majorMap:
		return d.mapItems(arg, depth)
	case majorTag:
		return d.tag(arg, depth)
	}
	return d.simple(arg)
}

func (d *cborDecoder) array(n uint64, depth int) ([]any, error) {
	if n > uint64(len(d.b)-d.off) { // every item takes at least a byte
		return nil, fmt.Errorf("%w: truncated array", errCBOR)
	}
	out := make([]any, 0, n)
	for range n {
		v, err := d.item(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *cborDecoder) mapItems(n uint64, depth int) (map[string]any, error) {
	if n > uint64(len(d.b)-d.off)/2 {
		return nil, fmt.Errorf("%w: truncated map", errCBOR)
	}
	out := make(map[string]any, n)
	for range n {
		k, err := d.item(depth + 1)
		if err != nil {
			return nil, err
		}
		var key string
		switch k := k.(type) {
		case string:
			key = k
		case []byte:
			key = string(k)
		default:
			return nil, fmt.Errorf("%w: a map key that is not a string", errCBOR)
		}
		if out[key], err = d.item(depth + 1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (d *cborDecoder) tag(n uint64, depth int) (any, error) {
	if n != tagSet {
		return nil, fmt.Errorf("%w: unexpected tag %d", errCBOR, n)
	}
	v, err := d.item(depth + 1)
	if err != nil {
		return nil, err
	}
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: a set (tag 258) that is not an array", errCBOR)
	}
	return cborSet(a), nil
}

func (d *cborDecoder) simple(arg uint64) (any, error) {
	switch arg {
	case 20:
		return false, nil
	case 21:
		return true, nil
	case 22:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: unsupported simple value %d", errCBOR, arg)
}
