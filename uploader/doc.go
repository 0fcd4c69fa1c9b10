// Package uploader is phase two of a backup: it turns the stream of
// phase-one entries (children before their parent, the root "" last) into
// an immutable tree on a Tahoe-LAFS grid and returns the cap of its root
// wrapper. It reaches the grid and the entry cache only through the Grid
// and Cache interfaces declared here.
//
// The loop, in the driver goroutine that alone owns the tree state:
//
//	for each entry (while fewer than Window entries are unfinished):
//	    file, symlink, special file -> ready
//	    directory -> its children seen so far become its children;
//	                 ready once every child is done
//	    attach the node to its parent's pending children
//	hand ready nodes to Jobs workers; when a node is done, its parent
//	directory may become ready; after the root, the wrapper is ready
//
// A worker processing a file stats it again (queue values are hints)
// relative to its directory's descriptor, which was opened one component
// at a time from the source root without following symlinks, and checks
// that it is the inode the walk recorded (source.go); it then computes
// its cache key (keys.go) and reuses the cached cap without reading the
// file, renewing the lease first when the row is older than the trust
// window. Otherwise it reads the file: at most 55 bytes become a LIT
// cap computed locally; larger files are streamed to Grid.PutFile, through
// an xz pipe when the rules ask for it and a flate probe of the first
// 128 KiB does not find the data incompressible. A file that changes while
// it is read is read again. A directory worker names the children (NFC, raw
// names kept in metadata), computes the directory key over every child's
// name, cap and metadata, and calls Grid.Mkdir unless the cache holds the
// key; then it flushes the cache (at most every 250 ms, and at the end).
//
// What runs concurrently: Jobs workers (uploads, cache hits, directories),
// one xz goroutine per compressed upload (their estimated memory bounded by
// XZOptions.MemoryLimit; a file above 1 MiB is compressed in blocks by
// GOMAXPROCS more, one such file at a time), and one goroutine reading the
// entry stream. Two
// uploads of the same content never run at once (flight.go): the gateway
// fails one of them.
// Memory is bounded by the Window of unfinished entries, the children of
// the directories open on the path being built, and the hardlink table
// (one path per multiply-linked file seen).
//
// Errors: an entry that vanished, changed type or was replaced (another
// inode, or a directory on its path is no longer one) since the walk is
// skipped,
// one that cannot be read fails; both are left out of their directory,
// counted and listed in Stats, and the run goes on. A file that keeps
// changing is uploaded as last read and reported. Grid and cache errors, a
// malformed stream and cancellation end the run.
//
// An interrupted run leaves every finished object recorded in the cache
// (Run flushes it on the way out), so a rerun uploads only the rest. The
// on-grid format (edge metadata, names, wrapper) and the key format are in
// docs/metadata.md.
package uploader
