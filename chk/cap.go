package chk

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
)

// Cap is a CHK read cap's fields (uri.py CHKFileURI). A read cap is a
// secret: String redacts it, and only URI and DirURI give the wire form.
type Cap struct {
	Key     [tahoehash.KeySize]byte
	UEBHash tahoehash.Digest
	Needed  int
	Total   int
	Size    int64
}

// URI is "URI:CHK:key:uebhash:k:n:size", as the gateway's PUT /uri returns.
func (c Cap) URI() string { return "URI:CHK:" + c.fields() }

// DirURI is the cap of an immutable directory whose packed contents were
// encoded as this file: "URI:DIR2-CHK:" and the same fields.
func (c Cap) DirURI() string { return "URI:DIR2-CHK:" + c.fields() }

// VerifyURI is the verify cap, "URI:CHK-Verifier:si:uebhash:k:n:size",
// which lets a holder check shares but not read them.
func (c Cap) VerifyURI() string {
	si := c.StorageIndex()
	return "URI:CHK-Verifier:" + tahoehash.Base32(si[:]) + ":" + c.tail()
}

// StorageIndex is the storage index of the shares.
func (c Cap) StorageIndex() [tahoehash.KeySize]byte { return tahoehash.StorageIndex(c.Key) }

// String is a redacted form, safe for logs.
func (c Cap) String() string { return "URI:CHK:(redacted)" }

// GoString redacts too, so %#v does not print the key.
func (c Cap) GoString() string { return "chk.Cap(redacted)" }

func (c Cap) fields() string { return tahoehash.Base32(c.Key[:]) + ":" + c.tail() }

func (c Cap) tail() string {
	return tahoehash.Base32(c.UEBHash[:]) + ":" + strconv.Itoa(c.Needed) + ":" +
		strconv.Itoa(c.Total) + ":" + strconv.FormatInt(c.Size, 10)
}

// LITURI is the LIT cap Tahoe makes for content of at most MaxLITSize
// bytes: the data itself in base32.
func LITURI(data []byte) string { return "URI:LIT:" + tahoehash.Base32(data) }

// StorageIndex is the storage index of the shares of a file encrypted
// with key.
func StorageIndex(key [tahoehash.KeySize]byte) [tahoehash.KeySize]byte {
	return tahoehash.StorageIndex(key)
}

// ErrBadCap is wrapped by ParseURI's errors, which never quote the cap.
var ErrBadCap = errors.New("chk: not a CHK read cap")

// ParseURI parses a CHK read cap, "URI:CHK:key:uebhash:k:n:size", or an
// immutable directory's "URI:DIR2-CHK:..." with the same fields
// (uri.py CHKFileURI.init_from_string). dir says which it was.
func ParseURI(s string) (c Cap, dir bool, err error) {
	rest, ok := strings.CutPrefix(s, "URI:CHK:")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "URI:DIR2-CHK:"); !ok {
			return Cap{}, false, fmt.Errorf("%w: no URI:CHK: or URI:DIR2-CHK: prefix", ErrBadCap)
		}
		dir = true
	}
	f := strings.Split(rest, ":")
	if len(f) != 5 {
		return Cap{}, false, fmt.Errorf("%w: %d fields, want 5", ErrBadCap, len(f))
	}
	key, err1 := tahoehash.DecodeBase32(f[0])
	ueb, err2 := tahoehash.DecodeBase32(f[1])
	k, err3 := strconv.Atoi(f[2])
	n, err4 := strconv.Atoi(f[3])
	size, err5 := strconv.ParseInt(f[4], 10, 64)
	switch {
	case errors.Join(err1, err2, err3, err4, err5) != nil || len(key) != len(c.Key) || len(ueb) != len(c.UEBHash):
		return Cap{}, false, fmt.Errorf("%w: malformed field", ErrBadCap)
	case Params{Needed: k, Total: n}.check() != nil || size <= 0:
		return Cap{}, false, fmt.Errorf("%w: encoding %d-of-%d, size %d", ErrBadCap, k, n, size)
	}
	c = Cap{Needed: k, Total: n, Size: size}
	copy(c.Key[:], key)
	copy(c.UEBHash[:], ueb)
	return c, dir, nil
}
