package direct

import (
	"context"
	"fmt"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/dirnode"
	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
)

// Child is one child of an immutable directory: whether it is a
// directory, its read cap, and its edge metadata (the map the web-API
// client would send; nil is {}).
type Child struct {
	Dir      bool
	Cap      string
	Metadata map[string]any
}

// Mkdir creates an immutable directory of children, as POST
// /uri?t=mkdir-immutable on the node's gateway would, and returns the same
// cap: the children packed as the gateway packs them (package dirnode),
// URI:DIR2-LIT: when that is at most 55 bytes (no request), else stored
// as a CHK file, URI:DIR2-CHK:.
func (c *Client) Mkdir(ctx context.Context, children map[string]Child) (string, error) {
	m := make(map[string]dirnode.Child, len(children))
	for name, ch := range children {
		dc := dirnode.Child{Cap: ch.Cap, Metadata: ch.Metadata}
		if dc.IsDir() != ch.Dir {
			return "", fmt.Errorf("direct: child %q: %w: marked dir=%v, its cap says otherwise", name, dirnode.ErrBadChild, ch.Dir)
		}
		m[name] = dc
	}
	packed, err := dirnode.Pack(m)
	if err != nil {
		return "", fmt.Errorf("direct: %w", err)
	}
	if len(packed) <= chk.MaxLITSize {
		return "URI:DIR2-LIT:" + tahoehash.Base32(packed), nil
	}
	capv, err := c.putCHK(ctx, memReader(packed), int64(len(packed)))
	if err != nil {
		return "", err
	}
	return capv.DirURI(), nil
}
