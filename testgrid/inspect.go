package testgrid

import (
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Share is one immutable share as a storage node keeps it.
type Share struct {
	Node   int    // storage node index
	Num    int    // share number
	Data   []byte // the share data, without the container header and leases
	Leases int    // lease records after the data
	// Expires is each lease's expiry (the record's last field, Unix
	// seconds), in file order.
	Expires []time.Time
}

// leaseSize is one lease record of an immutable share file
// (allmydata/storage/immutable.py: owner, renew and cancel secrets, expiry).
const leaseSize = 4 + 32 + 32 + 4

// ImmutableShares reads every share of the immutable file with storage
// index si (lower-case base32) from every storage node's
// storage/shares/<si[:2]>/<si>/<num>, and strips the container: a 12-byte
// header (version, data length mod 2^32, lease count) and the lease
// records after the data. A node without the file contributes nothing.
func (g *Grid) ImmutableShares(si string) ([]Share, error) {
	if len(si) < 2 {
		return nil, fmt.Errorf("testgrid: storage index %q too short", si)
	}
	var out []Share
	for i := range g.storage {
		dir := filepath.Join(g.StorageDir(i), "shares", si[:2], si)
		entries, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			num, err := strconv.Atoi(e.Name())
			if err != nil {
				continue // not a share file
			}
			s, err := readShare(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			s.Node, s.Num = i, num
			out = append(out, s)
		}
	}
	return out, nil
}

func readShare(path string) (Share, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Share{}, err
	}
	if len(b) < 12 {
		return Share{}, fmt.Errorf("testgrid: %s: %d bytes, shorter than a share header", path, len(b))
	}
	if v := binary.BigEndian.Uint32(b); v != 1 && v != 2 {
		return Share{}, fmt.Errorf("testgrid: %s: immutable share container version %d", path, v)
	}
	leases := int(binary.BigEndian.Uint32(b[8:]))
	end := len(b) - leases*leaseSize
	if end < 12 {
		return Share{}, fmt.Errorf("testgrid: %s: %d leases do not fit", path, leases)
	}
	sh := Share{Data: b[12:end], Leases: leases}
	for rec := end; rec < len(b); rec += leaseSize {
		sh.Expires = append(sh.Expires, time.Unix(int64(binary.BigEndian.Uint32(b[rec+leaseSize-4:])), 0))
	}
	return sh, nil
}

// Encoding is the grid's shares.needed, shares.happy and shares.total.
func (g *Grid) Encoding() (needed, happy, total int) {
	return g.opts.Needed, g.opts.Happy, g.opts.Total
}

// ConvergenceSecret is the gateway's convergence secret: the
// base32-decoded content of its private/convergence, which the gateway
// writes when it first starts.
func (g *Grid) ConvergenceSecret() ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(g.GatewayDir(), "private", "convergence"))
	if err != nil {
		return nil, err
	}
	enc := base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
	secret, err := enc.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("testgrid: the gateway's private/convergence is not base32")
	}
	return secret, nil
}
