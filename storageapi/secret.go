package storageapi

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
)

// Secret is a byte string that must not leak: a lease renew or cancel
// secret, an upload secret, or (in package tahoenode) a node's convergence
// or lease secret. Every way of printing it (String, GoString, %x, %v,
// JSON, slog) gives "(secret)"; the bytes are reachable only through Bytes.
// The zero value means "no secret".
type Secret struct{ b []byte }

// NewSecret returns a Secret holding a copy of b.
func NewSecret(b []byte) Secret {
	if len(b) == 0 {
		return Secret{}
	}
	return Secret{b: append([]byte(nil), b...)}
}

// Bytes returns a copy of the secret's bytes, for the wire or a hash.
func (s Secret) Bytes() []byte { return append([]byte(nil), s.b...) }

// Len is the secret's length in bytes.
func (s Secret) Len() int { return len(s.b) }

// IsZero reports whether s holds nothing.
func (s Secret) IsZero() bool { return len(s.b) == 0 }

// Equal compares in constant time.
func (s Secret) Equal(t Secret) bool { return subtle.ConstantTimeCompare(s.b, t.b) == 1 }

// String is "(secret)", or "(no secret)" for the zero value.
func (s Secret) String() string {
	if s.IsZero() {
		return "(no secret)"
	}
	return "(secret)"
}

// GoString keeps %#v redacted.
func (s Secret) GoString() string { return "storageapi.Secret" + s.String() }

// Format redacts every verb, including %x and %d, which would otherwise
// print the bytes of the struct's field.
func (s Secret) Format(f fmt.State, verb rune) { formatRedacted(f, verb, s) }

// MarshalText gives the redacted form, so encoding/json cannot leak it.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue keeps slog output redacted.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
