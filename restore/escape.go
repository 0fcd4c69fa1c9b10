package restore

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// escapePath renders a raw path for messages, as the other packages do:
// printable UTF-8 is kept, a backslash is doubled, \n \t \r are written as
// such and every other control character or invalid byte as \xHH.
func escapePath(p string) string {
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

func writeHexByte(b *strings.Builder, c byte) {
	const hex = "0123456789abcdef"
	b.WriteString(`\x`)
	b.WriteByte(hex[c>>4])
	b.WriteByte(hex[c&15])
}

// EscapePath is escapePath for callers that print paths from Failure and
// Difference values.
func EscapePath(p string) string { return escapePath(p) }

// joinPath joins a relative directory path and a name ("" is the root).
func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// displayPath is a relative path for messages: "." for the root.
func displayPath(p string) string {
	if p == "" {
		return "."
	}
	return escapePath(p)
}
