package chk

import (
	"bytes"

	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
)

// Encoded is a whole file's shares in memory.
type Encoded struct {
	Cap          Cap
	StorageIndex [tahoehash.KeySize]byte
	Shares       [][]byte // Shares[shnum] is the complete share data
}

// Encode encodes data held in memory under its convergent key, for small
// files (whose shares are one write each) and immutable directories.
func Encode(secret []byte, p Params, data []byte) (*Encoded, error) {
	size := int64(len(data))
	key, err := ConvergentKey(secret, p, size, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return EncodeWithKey(key, p, data)
}

// EncodeWithKey is Encode with a given AES key.
func EncodeWithKey(key [tahoehash.KeySize]byte, p Params, data []byte) (*Encoded, error) {
	e, err := NewEncoder(key, p, int64(len(data)))
	if err != nil {
		return nil, err
	}
	header := e.Header()
	shares := make([][]byte, e.g.n)
	for i := range shares {
		shares[i] = make([]byte, 0, e.ShareSize())
		shares[i] = append(shares[i], header.Data[i]...)
	}
	r := bytes.NewReader(data)
	for range e.Segments() {
		w, err := e.EncodeSegment(r)
		if err != nil {
			return nil, err
		}
		for i := range shares {
			shares[i] = append(shares[i], w.Data[i]...)
		}
	}
	c, err := e.Finish()
	if err != nil {
		return nil, err
	}
	for i := range shares {
		shares[i] = append(shares[i], e.Trailer(i)...)
	}
	return &Encoded{Cap: c, StorageIndex: e.StorageIndex(), Shares: shares}, nil
}
