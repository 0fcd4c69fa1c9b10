package chk

import (
	"fmt"
	"io"

	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
)

// ConvergentKey reads exactly size bytes of content from r and returns the
// AES key Tahoe derives for them (upload.py FileHandle
// _get_encryption_key_convergent): the convergence hash of the content
// under the secret, Needed, Total and the file's segment size. The secret
// is the base32-decoded content of the node's private/convergence.
//
// Tahoe reads the content twice, once for the key and once to encode it;
// so does the caller of ConvergentKey and Encoder.
func ConvergentKey(secret []byte, p Params, size int64, r io.Reader) ([tahoehash.KeySize]byte, error) {
	var key [tahoehash.KeySize]byte
	seg, err := SegmentSize(p, size)
	if err != nil {
		return key, err
	}
	h, err := tahoehash.ConvergenceHasher(p.Needed, p.Total, seg, secret)
	if err != nil {
		return key, err
	}
	n, err := io.CopyN(h, r, size)
	if err != nil {
		return key, fmt.Errorf("chk: reading content for the key: got %d of %d bytes: %w", n, size, noEOF(err))
	}
	return h.Key(), nil
}

// noEOF turns a premature io.EOF into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
