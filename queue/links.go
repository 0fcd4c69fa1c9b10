package queue

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// LinkGroups reads the queue at path and returns a test for "this (dev, ino)
// may have two or more links inside this queue". Phase two keeps a hardlink
// table only for those, instead of for every file with nlink > 1, which in
// rsync --link-dest snapshots is nearly every file (their other links live
// in older snapshots, outside the walk).
//
// It holds 8 bytes per multiply-linked entry while it reads, and afterwards
// a set of the fingerprints that occurred twice or more. A fingerprint
// collision only makes an entry a candidate; the uploader still compares
// (dev, ino) exactly.
func LinkGroups(path string) (func(dev, ino uint64) bool, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var prints []uint64
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("hardlink scan: %w", err)
		}
		if e.Nlink > 1 && e.Type.String() != "dir" {
			prints = append(prints, fingerprint(e.Dev, e.Ino))
		}
	}
	slices.Sort(prints)
	groups := map[uint64]struct{}{}
	for i := 1; i < len(prints); i++ {
		if prints[i] == prints[i-1] {
			groups[prints[i]] = struct{}{}
		}
	}
	return func(dev, ino uint64) bool {
		_, ok := groups[fingerprint(dev, ino)]
		return ok
	}, nil
}

// fingerprint mixes dev and ino into 64 bits (splitmix64 finaliser).
func fingerprint(dev, ino uint64) uint64 {
	x := ino ^ (dev * 0x9e3779b97f4a7c15)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ (x >> 31)
}
