package tahoehash

import (
	"encoding/base32"
	"errors"
)

// b32 is Tahoe's base32: the RFC 4648 alphabet in lower case, no padding.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// errBase32 does not quote the input, which is often a secret.
var errBase32 = errors.New("tahoehash: not canonical Tahoe base32")

// Base32 encodes b as Tahoe's base32.b2a does.
func Base32(b []byte) string { return b32.EncodeToString(b) }

// DecodeBase32 decodes Tahoe base32 as base32.a2b does: lower case,
// unpadded, a length some byte count encodes to and unused trailing bits
// zero, so every byte string has exactly one encoding.
func DecodeBase32(s string) ([]byte, error) {
	b, err := b32.DecodeString(s)
	if err != nil || Base32(b) != s {
		return nil, errBase32
	}
	return b, nil
}
