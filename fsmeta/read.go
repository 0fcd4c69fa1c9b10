package fsmeta

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Read returns the metadata of path without following it if it is a
// symlink.
//
// For now it records stat data only; ACLs, capabilities and xattrs are read
// by the next revision.
func Read(path string, opts Options) (Meta, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return Meta{}, fmt.Errorf("fsmeta: lstat %q: %w", path, err)
	}
	return FromStat(&st), nil
}
