package queue

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The queue's escaping (docs/queue-format.md) is the file format's: a
// token without spaces, control bytes or invalid UTF-8, from which
// unescape gives back the bytes exactly. Messages show paths with
// internal/pathesc instead, as every package does.

// field selects the characters escaped beyond the common set.
type field uint8

const (
	fieldPath  field = iota // '#' as the first byte
	fieldXattr              // '='
	fieldCaps               // '/', ';'; space is written as ';'
	fieldACL                // '/', ','
)

func (f field) special(c byte, pos int) bool {
	switch f {
	case fieldPath:
		return c == '#' && pos == 0
	case fieldXattr:
		return c == '='
	case fieldCaps:
		return c == '/' || c == ';'
	case fieldACL:
		return c == '/' || c == ','
	}
	return false
}

const hexDigits = "0123456789abcdef"

// plainBytes[f][c] says that c stands for itself in field f: printable
// ASCII but space and backslash, and not special to f (fieldPath's '#' is
// special only at the start, which appendEscaped checks).
var plainBytes = func() (t [fieldACL + 1][256]bool) {
	for f := range t {
		for c := 0x21; c < 0x7f; c++ {
			t[f][c] = c != '\\' && !field(f).special(byte(c), 1)
		}
	}
	return t
}()

// appendEscaped appends the escaped form of s to b. Runs of plain bytes,
// nearly every path, are copied at once (the escape was a tenth of the
// phase-one scan byte by byte).
func appendEscaped(b []byte, s string, f field) []byte {
	plain := &plainBytes[f]
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && plain[s[j]] && (j > 0 || f != fieldPath || s[0] != '#') {
			j++
		}
		b = append(b, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = appendHex(b, c)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		b = appendASCII(b, c, i, f)
		i++
	}
	return b
}

func appendASCII(b []byte, c byte, pos int, f field) []byte {
	switch {
	case c == ' ' && f == fieldCaps:
		return append(b, ';')
	case f.special(c, pos):
		return appendHex(b, c)
	case c == '\\':
		return append(b, '\\', '\\')
	case c == ' ':
		return append(b, '\\', 's')
	case c == '\n':
		return append(b, '\\', 'n')
	case c == '\t':
		return append(b, '\\', 't')
	case c == '\r':
		return append(b, '\\', 'r')
	case c < 0x20 || c == 0x7f:
		return appendHex(b, c)
	}
	return append(b, c)
}

func appendHex(b []byte, c byte) []byte {
	return append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
}

var errEscape = errors.New("bad escape")

// unescape decodes one escaped token.
func unescape(s string, f field) (string, error) {
	if !needsDecode(s, f) {
		return s, nil
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			d, n, err := decodeEscape(s[i:])
			if err != nil {
				return "", err
			}
			sb.WriteByte(d)
			i += n - 1
		case c < 0x20 || c == 0x7f || c == ' ':
			return "", fmt.Errorf("%w: raw byte 0x%02x", errEscape, c)
		case c == ';' && f == fieldCaps:
			sb.WriteByte(' ')
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String(), nil
}

func needsDecode(s string, f field) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' || c <= ' ' || c == 0x7f || (c == ';' && f == fieldCaps) {
			return true
		}
	}
	return false
}

// decodeEscape decodes the escape at the start of s (s[0] == '\\'),
// returning the byte and the length of the escape.
func decodeEscape(s string) (byte, int, error) {
	if len(s) < 2 {
		return 0, 0, fmt.Errorf("%w: trailing backslash", errEscape)
	}
	switch s[1] {
	case '\\':
		return '\\', 2, nil
	case 's':
		return ' ', 2, nil
	case 'n':
		return '\n', 2, nil
	case 't':
		return '\t', 2, nil
	case 'r':
		return '\r', 2, nil
	case 'x':
		if len(s) >= 4 {
			hi, ok1 := unhex(s[2])
			lo, ok2 := unhex(s[3])
			if ok1 && ok2 {
				return hi<<4 | lo, 4, nil
			}
		}
	}
	end := min(len(s), 4)
	return 0, 0, fmt.Errorf("%w %q", errEscape, s[:end])
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
