package queue

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// Survey is what one pass over a queue tells phase two before it starts.
type Survey struct {
	Entries, Files int64
	Bytes          int64 // total size of the regular files
	// Links tells whether a (dev, ino) may have two or more links inside
	// this queue (see SurveyFile).
	Links func(dev, ino uint64) bool
	// Walk is what the walk left out, from the trailer; nil for a queue
	// older than format version 3.
	Walk *Summary
}

// SurveyFile reads the queue at path: counts, total bytes, and a test for
// "this (dev, ino) may have two or more links inside this queue". Phase two keeps a hardlink
// table only for those, instead of for every file with nlink > 1, which in
// rsync --link-dest snapshots is nearly every file (their other links live
// in older snapshots, outside the walk).
//
// It holds 8 bytes per multiply-linked entry while it reads, and afterwards
// a set of the fingerprints that occurred twice or more. A fingerprint
// collision only makes an entry a candidate; the uploader still compares
// (dev, ino) exactly.
func SurveyFile(path string) (Survey, error) {
	var sv Survey
	r, err := Open(path)
	if err != nil {
		return sv, err
	}
	defer r.Close()
	var prints []uint64
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			if s, ok := r.Summary(); ok {
				sv.Walk = &s
			}
			break
		}
		if err != nil {
			return sv, fmt.Errorf("queue survey: %w", err)
		}
		sv.Entries++
		if e.Type == fsmeta.TypeFile {
			sv.Files++
			sv.Bytes += e.Size
		}
		if e.Nlink > 1 && e.Type != fsmeta.TypeDir {
			prints = append(prints, fingerprint(e.Dev, e.Ino))
		}
	}
	sv.Links = linkGroups(prints)
	return sv, nil
}

// linkGroups is Survey.Links from the fingerprints of every multiply-linked
// entry.
func linkGroups(prints []uint64) func(dev, ino uint64) bool {
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
	}
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
