package lafsapi

import (
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Cap is a Tahoe-LAFS capability. Caps are secrets: String (and so %v and
// slog) prints only the kind; the wire value is reachable only through
// Secret. The zero value means "no cap".
type Cap struct{ s string }

// b32 is Tahoe's base32: RFC 4648 alphabet in lower case, no padding.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// MaxLITSize is the largest content the gateway stores inside a LIT cap.
const MaxLITSize = 55

// capBody says what follows a cap prefix.
type capBody int

const (
	bodyCHK  capBody = iota // key:hash:k:N:size
	bodyLIT                 // base32 data
	bodySSK                 // key:fingerprint
	bodyMDMF                // key:fingerprint[:extensions]
)

// capKind describes one cap prefix.
type capKind struct {
	prefix    string
	body      capBody
	dir       bool
	immutable bool
}

// capKinds lists every cap prefix the client accepts, longest first where
// one is a prefix of another.
var capKinds = []capKind{
	{"URI:CHK:", bodyCHK, false, true},
	{"URI:LIT:", bodyLIT, false, true},
	{"URI:SSK:", bodySSK, false, false},
	{"URI:SSK-RO:", bodySSK, false, false},
	{"URI:MDMF:", bodyMDMF, false, false},
	{"URI:MDMF-RO:", bodyMDMF, false, false},
	{"URI:DIR2-CHK:", bodyCHK, true, true},
	{"URI:DIR2-LIT:", bodyLIT, true, true},
	{"URI:DIR2-MDMF-RO:", bodyMDMF, true, false},
	{"URI:DIR2-MDMF:", bodyMDMF, true, false},
	{"URI:DIR2-RO:", bodySSK, true, false},
	{"URI:DIR2:", bodySSK, true, false},
}

// ErrBadCap is wrapped by every ParseCap error.
var ErrBadCap = errors.New("lafsapi: not a valid capability")

// ParseCap validates s as a file or directory capability (read or write
// cap, immutable or mutable). Surrounding white space is trimmed. The error
// never contains s.
func ParseCap(s string) (Cap, error) {
	s = strings.TrimSpace(s)
	k, ok := kindOf(s)
	if !ok {
		return Cap{}, fmt.Errorf("%w: unknown or missing URI: prefix", ErrBadCap)
	}
	if err := checkBody(k.body, s[len(k.prefix):]); err != nil {
		return Cap{}, fmt.Errorf("%w: %s %v", ErrBadCap, k.prefix, err)
	}
	return Cap{s}, nil
}

func kindOf(s string) (capKind, bool) {
	for _, k := range capKinds {
		if strings.HasPrefix(s, k.prefix) {
			return k, true
		}
	}
	return capKind{}, false
}

// checkBody checks the fields after the prefix: base32 keys of the right
// length (128 bits = 26 chars, 256 bits = 52) and decimal numbers.
func checkBody(b capBody, body string) error {
	if b == bodyLIT {
		if !isBase32(body) || !validB32Len(len(body)) {
			return errors.New("data is not base32")
		}
		return nil
	}
	f := strings.Split(body, ":")
	switch {
	case b == bodyCHK && len(f) == 5:
		if !isKey(f[0], 26) || !isKey(f[1], 52) || !isNum(f[2]) || !isNum(f[3]) || !isNum(f[4]) {
			return errors.New("fields are malformed")
		}
	case b == bodySSK && len(f) == 2, b == bodyMDMF && len(f) >= 2:
		if !isKey(f[0], 26) || !isKey(f[1], 52) {
			return errors.New("fields are malformed")
		}
		for _, x := range f[2:] {
			if !isNum(x) {
				return errors.New("extension fields are malformed")
			}
		}
	default:
		return fmt.Errorf("has %d fields", len(f))
	}
	return nil
}

func isBase32(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// validB32Len reports whether n base32 characters can encode whole bytes.
func validB32Len(n int) bool {
	switch n % 8 {
	case 0, 2, 4, 5, 7:
		return true
	}
	return false
}

func isKey(s string, n int) bool { return len(s) == n && isBase32(s) }

func isNum(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// LITCap returns the LIT cap the gateway gives for data (at most
// MaxLITSize bytes), computed locally: "URI:LIT:" and the data in Tahoe's
// base32. It panics on longer data: such content needs an upload.
func LITCap(data []byte) Cap {
	if len(data) > MaxLITSize {
		panic(fmt.Sprintf("lafsapi: LITCap of %d bytes (max %d)", len(data), MaxLITSize))
	}
	return Cap{"URI:LIT:" + b32.EncodeToString(data)}
}

// LITData returns the content held in a LIT file cap.
func (c Cap) LITData() ([]byte, bool) {
	body, ok := strings.CutPrefix(c.s, "URI:LIT:")
	if !ok {
		return nil, false
	}
	data, err := b32.DecodeString(body)
	return data, err == nil
}

// Secret returns the wire value. Only code that sends the cap to a gateway
// or stores it on purpose should call it.
func (c Cap) Secret() string { return c.s }

// String returns a redacted form such as "URI:CHK:…(redacted)", safe for
// logs and error messages.
func (c Cap) String() string {
	if c.s == "" {
		return "(no cap)"
	}
	k, _ := kindOf(c.s)
	return k.prefix + "…(redacted)"
}

// GoString keeps %#v redacted too.
func (c Cap) GoString() string { return "lafsapi.Cap(" + c.String() + ")" }

// MarshalText gives the redacted form, so a Cap cannot leak through
// encoding/json or slog by accident; code that means to store or send the
// cap uses Secret.
func (c Cap) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// LogValue keeps slog output redacted.
func (c Cap) LogValue() slog.Value { return slog.StringValue(c.String()) }

// IsZero reports whether c is the zero Cap.
func (c Cap) IsZero() bool { return c.s == "" }

// IsLIT reports whether c is a literal cap (file or directory) whose data
// lives in the cap itself: nothing is stored on the grid for it.
func (c Cap) IsLIT() bool {
	return strings.HasPrefix(c.s, "URI:LIT:") || strings.HasPrefix(c.s, "URI:DIR2-LIT:")
}

// IsDir reports whether c is a directory cap.
func (c Cap) IsDir() bool { k, ok := kindOf(c.s); return ok && k.dir }

// IsImmutable reports whether c is a file or directory that can never
// change (CHK, LIT, DIR2-CHK, DIR2-LIT): the only kinds an immutable
// directory may hold.
func (c Cap) IsImmutable() bool { k, ok := kindOf(c.s); return ok && k.immutable }

// Kind returns the cap's prefix without "URI:" and the final colon, e.g.
// "CHK", "DIR2-LIT"; "" for the zero Cap.
func (c Cap) Kind() string {
	k, ok := kindOf(c.s)
	if !ok {
		return ""
	}
	return strings.TrimSuffix(strings.TrimPrefix(k.prefix, "URI:"), ":")
}

// Equal reports whether two caps are the same.
func (c Cap) Equal(d Cap) bool { return c.s == d.s }
