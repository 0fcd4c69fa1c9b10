// Package pathesc renders raw path bytes readably for messages, the same way
// in every package, so a path in a warning can be matched with the summary.
package pathesc

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape renders a raw path (any bytes) for messages and logs:
// printable UTF-8 is kept, a backslash is doubled, \n \t \r are written as
// such and every other control character or invalid byte as \xHH.
func Escape(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRuneInString(p[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			writeHexByte(&b, p[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case !unicode.IsPrint(r) && r != ' ':
			for j := 0; j < n; j++ {
				writeHexByte(&b, p[i+j])
			}
		default:
			b.WriteString(p[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Display is a relative path for output, text and JSON alike: escaped,
// and "." for the root (the empty path).
func Display(p string) string {
	if p == "" {
		return "."
	}
	return Escape(p)
}

func writeHexByte(b *strings.Builder, c byte) {
	const hex = "0123456789abcdef"
	b.WriteString(`\x`)
	b.WriteByte(hex[c>>4])
	b.WriteByte(hex[c&15])
}

// BadComponent says whether a relative path has an empty, "." or ".."
// component (a leading, trailing or doubled slash included). It does not
// allocate: the uploader and the queue reader call it for every entry.
func BadComponent(p string) bool {
	start := 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		switch p[start:i] {
		case "", ".", "..":
			return true
		}
		start = i + 1
	}
	return false
}
