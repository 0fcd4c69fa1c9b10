package uploader

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// escapePath renders a raw path for messages: printable UTF-8 is kept,
// a backslash is doubled, \n \t \r are written as such and every other
// control character or invalid byte as \xHH. It is the default of
// Options.EscapePath.
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
