package dirnode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

var errPacked = errors.New("dirnode: malformed directory contents")

// Unpack reads packed directory contents (dirnode.py _unpack_contents)
// back into children, metadata decoded by encoding/json. For tests and
// tools; restoring reads directories through the web API.
func Unpack(packed []byte) (map[string]Child, error) {
	out := map[string]Child{}
	for len(packed) > 0 {
		entry, rest, err := splitNetstring(packed)
		if err != nil {
			return nil, err
		}
		packed = rest
		var f [4][]byte
		for i := range f {
			if f[i], entry, err = splitNetstring(entry); err != nil {
				return nil, err
			}
		}
		if len(entry) != 0 {
			return nil, fmt.Errorf("%w: trailing bytes in an entry", errPacked)
		}
		c := Child{Cap: string(f[1])}
		if err := json.Unmarshal(f[3], &c.Metadata); err != nil {
			return nil, fmt.Errorf("%w: metadata of %q: %v", errPacked, f[0], err)
		}
		out[string(f[0])] = c
	}
	return out, nil
}

// splitNetstring splits "len:data," off the front of b.
func splitNetstring(b []byte) (data, rest []byte, err error) {
	colon := bytes.IndexByte(b, ':')
	if colon < 1 {
		return nil, nil, fmt.Errorf("%w: no netstring length", errPacked)
	}
	n, err := strconv.Atoi(string(b[:colon]))
	end := colon + 1 + n
	if err != nil || n < 0 || end >= len(b) || b[end] != ',' {
		return nil, nil, fmt.Errorf("%w: bad netstring", errPacked)
	}
	return b[colon+1 : end], b[end+1:], nil
}
