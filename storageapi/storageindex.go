package storageapi

import (
	"fmt"

	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
)

// StorageIndex names a bucket (immutable) or slot (mutable) on every
// server: 16 bytes, derived from the file's key by package chk. It is not a
// secret (anyone holding it can fetch ciphertext only), but this package
// logs it at debug level only and keeps it out of errors.
type StorageIndex [16]byte

// String is the 26-character Tahoe base32 form used in request paths and
// in the servers' shares/ directories.
func (si StorageIndex) String() string { return tahoehash.Base32(si[:]) }

// ParseStorageIndex reads the 26-character base32 form.
func ParseStorageIndex(s string) (StorageIndex, error) {
	var si StorageIndex
	b, err := tahoehash.DecodeBase32(s)
	if err != nil || len(b) != len(si) || tahoehash.Base32(b) != s {
		return si, fmt.Errorf("storageapi: %q is not a storage index (26 base32 characters)", s)
	}
	copy(si[:], b)
	return si, nil
}
