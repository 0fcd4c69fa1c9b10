package chk

import (
	"sort"
	"strconv"

	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
)

// ueb holds the URI extension block's fields (encode.py
// uri_extension_data; docs/specifications/URI-extension).
type ueb struct {
	g                 geometry
	crypttextHash     tahoehash.Digest
	crypttextRootHash tahoehash.Digest
	shareRootHash     tahoehash.Digest
}

// pack serialises the block as uri.pack_extension does: each field as
// name ":" netstring(value), in sorted name order; numbers in decimal.
func (u ueb) pack() []byte {
	g := u.g
	fields := map[string][]byte{
		"codec_name":          []byte("crs"),
		"codec_params":        codecParams(g.segSize, g.k, g.n),
		"tail_codec_params":   codecParams(int(nextMultiple(int64(g.tailSize), int64(g.k))), g.k, g.n),
		"size":                decimal(g.size),
		"segment_size":        decimal(int64(g.segSize)),
		"num_segments":        decimal(g.numSegments),
		"needed_shares":       decimal(int64(g.k)),
		"total_shares":        decimal(int64(g.n)),
		"crypttext_hash":      u.crypttextHash[:],
		"crypttext_root_hash": u.crypttextRootHash[:],
		"share_root_hash":     u.shareRootHash[:],
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []byte
	for _, name := range names {
		out = append(out, name...)
		out = append(out, ':')
		out = tahoehash.AppendNetstring(out, fields[name])
	}
	return out
}

// codecParams is CRSEncoder.get_serialized_params: "size-k-n".
func codecParams(size, k, n int) []byte {
	return []byte(strconv.Itoa(size) + "-" + strconv.Itoa(k) + "-" + strconv.Itoa(n))
}

func decimal(v int64) []byte { return strconv.AppendInt(nil, v, 10) }

// uebSize is the packed length, which does not depend on the hashes
// (encode.py get_uri_extension_size).
func uebSize(g geometry) int { return len(ueb{g: g}.pack()) }
