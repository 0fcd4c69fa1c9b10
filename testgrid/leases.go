package testgrid

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// SharePath is where storage node i keeps share shnum of the storage
// index si (26 base32 characters).
func (g *Grid) SharePath(i int, si string, shnum int) string {
	return filepath.Join(g.StorageDir(i), "shares", si[:2], si, strconv.Itoa(shnum))
}

var leaseLine = regexp.MustCompile(`(?m)^\s*Lease #\d+: owner=\d+, expire in \d+s`)

// Leases returns the expiry of each lease on an immutable share file, read
// from the file (Share.Expires) and its count checked against `tahoe debug
// dump-share --leases-only`.
func (g *Grid) Leases(sharePath string) ([]time.Time, error) {
	sh, err := readShare(sharePath)
	if err != nil {
		return nil, err
	}
	dump, err := g.Tahoe("debug", "dump-share", "--leases-only", sharePath)
	if err != nil {
		return nil, err
	}
	if n := len(leaseLine.FindAllString(dump, -1)); n != sh.Leases {
		return nil, fmt.Errorf("testgrid: %s: %d leases in the file, dump-share lists %d:\n%s", sharePath, sh.Leases, n, dump)
	}
	return sh.Expires, nil
}
