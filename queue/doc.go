// Package queue is phase one of a backup: it walks the source tree and
// writes the queue file that phase two uploads from (docs/phase-one.md).
//
// The format (docs/queue-format.md) is one escaped line per entry in the
// shape of the original tool's "path uid:gid:mode[/caps[/acls]]", plus the
// stat data phase two needs, between a header (format version, source,
// start time) and a trailer (entry count and CRC-32C). Any byte string
// round-trips as a path. A queue without a valid trailer is incomplete and
// is never read as valid.
//
// Entries come children before their parent, the root (Path "") last:
// paths strictly decreasing, compared component by component. WriteFile
// produces that order with a post-order walk that visits each directory's
// names in descending byte order, so memory grows with depth × directory
// width, never with the size of the tree, and no external sort (nor
// locale) is involved.
//
// The walk never follows symlinks (only a symlink given as the source
// itself), never opens FIFOs, sockets or devices, can stay on one
// filesystem, honours CACHEDIR.TAG, and skips the entry cache's own files.
// Entries it cannot read are logged with their escaped path, counted and
// left out; the walk goes on.
//
//	w, _ := queue.NewWriter(f, queue.Header{Source: src, Started: time.Now()})
//	w.Write(entry) ... w.Close()
//
//	r, _ := queue.Open(path)
//	for { e, err := r.Next(); if err == io.EOF { break } ... }
package queue
