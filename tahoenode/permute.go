package tahoenode

import (
	"bytes"
	"crypto/sha1"
	"slices"

	"github.com/lafs-backup/lafs-backup/storageapi"
)

// Permuted returns the servers in the order the gateway's storage broker
// offers them for an upload of si (storage_client.get_servers_for_psi):
// preferred peers first, then by SHA-1 of si followed by the server's
// permutation seed (hashutil.permute_server_hash). The uploader places
// shares along this ring.
func (n *Node) Permuted(si storageapi.StorageIndex) []Server {
	type ranked struct {
		s   Server
		key [sha1.Size]byte
	}
	rs := make([]ranked, len(n.Servers))
	for i, s := range n.Servers {
		rs[i] = ranked{s, sha1.Sum(append(si[:], s.PermutationSeed...))}
	}
	slices.SortStableFunc(rs, func(a, b ranked) int {
		if a.s.Preferred != b.s.Preferred {
			if a.s.Preferred {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.key[:], b.key[:])
	})
	out := make([]Server, len(rs))
	for i, r := range rs {
		out[i] = r.s
	}
	return out
}
