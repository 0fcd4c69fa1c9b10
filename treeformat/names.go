package treeformat

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/lafs-backup/lafs-backup/internal/pathesc"
)

// GridName is the name the gateway stores for the raw name bytes: NFC (the
// gateway normalises names), with each byte that is not valid UTF-8 written
// as \xHH (docs/metadata.md, Names).
func GridName(raw string) string {
	if utf8.ValidString(raw) {
		return norm.NFC.String(raw)
	}
	var b strings.Builder
	for i := 0; i < len(raw); {
		r, n := utf8.DecodeRuneInString(raw[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, `\x%02x`, raw[i])
		} else {
			b.WriteString(raw[i : i+n])
		}
		i += n
	}
	return norm.NFC.String(b.String())
}

// AssignNames returns the on-grid name of each of the raw sibling names, in
// the same order, all distinct. A name that is valid NFC UTF-8 keeps itself.
// The others get GridName, and when that collides with a sibling, "~1",
// "~2", ... before the extension; they are taken in byte order of their raw
// names, so the result does not depend on the order of raws. Duplicate raw
// names are an error. Whenever the on-grid name is not the raw name, the
// edge records the raw name (Edge.RawName).
func AssignNames(raws []string) ([]string, error) {
	out := make([]string, len(raws))
	taken := make(map[string]bool, len(raws))
	var rest []int
	for i, raw := range raws {
		if g := GridName(raw); g != raw {
			out[i] = g
			rest = append(rest, i)
			continue
		}
		if taken[raw] {
			return nil, fmt.Errorf("duplicate entry name %s", pathesc.Escape(raw))
		}
		taken[raw] = true
		out[i] = raw
	}
	sort.Slice(rest, func(a, b int) bool { return raws[rest[a]] < raws[rest[b]] })
	for j, i := range rest {
		if j > 0 && raws[rest[j-1]] == raws[i] {
			return nil, fmt.Errorf("duplicate entry name %s", pathesc.Escape(raws[i]))
		}
		name := out[i]
		for k := 1; taken[name]; k++ {
			name = withSuffix(out[i], k)
		}
		taken[name] = true
		out[i] = name
	}
	return out, nil
}

// withSuffix inserts "~k" before the extension of name ("a.txt" -> "a~1.txt";
// ".bashrc" and "README" get it at the end).
func withSuffix(name string, k int) string {
	suffix := "~" + strconv.Itoa(k)
	if dot := strings.LastIndexByte(name, '.'); dot > 0 {
		return norm.NFC.String(name[:dot] + suffix + name[dot:])
	}
	return norm.NFC.String(name + suffix)
}
