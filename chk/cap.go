package chk

import (
	"strconv"

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
