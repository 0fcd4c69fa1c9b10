package queue

import (
	"errors"
	"fmt"
	"time"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
)

// Version is the queue format version this package writes. It reads
// MinVersion to Version (docs/queue-format.md).
const (
	Version    = 3
	MinVersion = 1
)

// summaryVersion is the first version whose trailer carries the walk's
// Summary.
const summaryVersion = 3

// Summary is what the walk left out, recorded in the trailer (version 3)
// so that a reused queue reports it as the walk did: Errors (entries that
// could not be read: the backup is partial) and Skipped (left out by the
// rules and options).
type Summary struct {
	Errors, Skipped int64
}

const (
	magic      = "#lafs-backup-queue"
	trailerTag = "#end"
)

// Entry is one line of the queue: a path relative to the source root
// (raw bytes, components joined by "/", "" for the root) and its metadata.
type Entry struct {
	Path string
	fsmeta.Meta
}

// Header is the first line of a queue.
type Header struct {
	Version int
	Source  string    // the directory walked, absolute
	Started time.Time // when the walk started
}

// ErrIncomplete marks a queue that ends before a valid trailer: a crash,
// a full disk, or a file still being written. Such a queue is never used.
var ErrIncomplete = errors.New("queue incomplete")

// ErrCorrupt marks a queue whose content is not what the format allows.
var ErrCorrupt = errors.New("queue corrupt")

// checkPath refuses paths a walk cannot produce: empty, "." or ".."
// components, or a leading or trailing "/". "" is the root.
func checkPath(p string) error {
	if p == "" {
		return nil
	}
	if pathesc.BadComponent(p) {
		return fmt.Errorf("path %s: empty, \".\" or \"..\" component", pathesc.Escape(p))
	}
	return nil
}

// comparePaths orders paths component by component (bytes), an ancestor
// before its descendants: a byte comparison where '/' sorts lowest.
// A queue lists paths in strictly decreasing order.
func comparePaths(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if ca == '/' {
			return -1
		}
		if cb == '/' {
			return 1
		}
		if ca < cb {
			return -1
		}
		return 1
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// checkMeta refuses metadata the format cannot carry faithfully.
func checkMeta(m *fsmeta.Meta) error {
	if m.Type == 0 || m.Type != fsmeta.TypeOfMode(m.Mode) {
		return fmt.Errorf("type %v does not match mode %o", m.Type, m.Mode)
	}
	for _, e := range m.ACL {
		if e == "" {
			return errors.New("empty ACL entry")
		}
	}
	return nil
}
