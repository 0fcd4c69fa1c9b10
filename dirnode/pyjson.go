package dirnode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
)

// pyDumps is what the gateway stores for a child's metadata: Python's
// json.dumps (ensure_ascii, ", " and ": " separators, float repr) of what
// json.loads made of the JSON our web-API client sent. So v goes through
// encoding/json first, exactly as lafsapi sends it (keys sorted, no HTML
// escaping), and that text is re-emitted the way Python would: objects
// keep the text's key order, numbers with '.', 'e' or 'E' are floats and
// the others ints. See docs/direct.md.
func pyDumps(v any) ([]byte, error) {
	var text bytes.Buffer
	enc := json.NewEncoder(&text)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("metadata cannot be encoded as JSON: %w", err)
	}
	dec := json.NewDecoder(&text)
	dec.UseNumber()
	var out []byte
	out, err := pyValue(dec, out)
	if err != nil {
		return nil, fmt.Errorf("dirnode: re-reading metadata JSON: %w", err)
	}
	return out, nil
}

var errJSONShape = errors.New("unexpected JSON token")

func pyValue(dec *json.Decoder, out []byte) ([]byte, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return pyObject(dec, out)
		}
		if t == '[' {
			return pyArray(dec, out)
		}
		return nil, errJSONShape
	case string:
		return appendPyString(out, t), nil
	case json.Number:
		return appendPyNumber(out, string(t))
	case bool:
		return strconv.AppendBool(out, t), nil
	case nil:
		return append(out, "null"...), nil
	}
	return nil, errJSONShape
}

func pyObject(dec *json.Decoder, out []byte) ([]byte, error) {
	out = append(out, '{')
	for i := 0; dec.More(); i++ {
		if i > 0 {
			out = append(out, ", "...)
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errJSONShape
		}
		out = append(appendPyString(out, key), ": "...)
		if out, err = pyValue(dec, out); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return append(out, '}'), nil
}

func pyArray(dec *json.Decoder, out []byte) ([]byte, error) {
	out = append(out, '[')
	for i := 0; dec.More(); i++ {
		if i > 0 {
			out = append(out, ", "...)
		}
		var err error
		if out, err = pyValue(dec, out); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return append(out, ']'), nil
}

// appendPyNumber re-emits a JSON number as Python would after json.loads:
// an int keeps its digits (int("-0") is 0), a float becomes its repr.
func appendPyNumber(out []byte, text string) ([]byte, error) {
	if !strings.ContainsAny(text, ".eE") {
		if text == "-0" {
			text = "0"
		}
		return append(out, text...), nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, err
	}
	switch {
	case math.IsInf(f, 1):
		return append(out, "Infinity"...), nil
	case math.IsInf(f, -1):
		return append(out, "-Infinity"...), nil
	}
	return append(out, pyFloatRepr(f)...), nil
}

// appendPyString is json.dumps's string form with ensure_ascii=True: only
// printable ASCII stays; '"', '\\', \b \f \n \r \t get short escapes and
// everything else \uXXXX (lower-case hex, UTF-16 surrogate pairs above
// U+FFFF).
func appendPyString(out []byte, s string) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			out = append(out, '\\', byte(r))
		case r >= ' ' && r <= '~':
			out = append(out, byte(r))
		case r == '\b':
			out = append(out, `\b`...)
		case r == '\f':
			out = append(out, `\f`...)
		case r == '\n':
			out = append(out, `\n`...)
		case r == '\r':
			out = append(out, `\r`...)
		case r == '\t':
			out = append(out, `\t`...)
		default:
			units := []rune{r}
			if r > 0xffff {
				hi, lo := utf16.EncodeRune(r)
				units = []rune{hi, lo}
			}
			for _, u := range units {
				out = append(out, '\\', 'u', hex[u>>12&15], hex[u>>8&15], hex[u>>4&15], hex[u&15])
			}
		}
	}
	return append(out, '"')
}
