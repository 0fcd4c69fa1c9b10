// Package browse reads a backup tree on the grid without restoring it:
// it opens a root cap (either tool's format), looks up paths, lists and
// walks directories, compares two backups and searches many, decoding
// every edge with treeformat (docs/browse.md). It only reads, through the
// gateway's web API (Grid), and never touches the local filesystem.
package browse
