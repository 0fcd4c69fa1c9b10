// Package treeformat owns the on-grid format of a backup tree
// (docs/metadata.md): the edge metadata keys and their encoding, the format
// key and version of the root wrapper, and the rules that turn raw name
// bytes into names the gateway stores (NFC, \xHH, "~N" suffixes, rawname).
//
// The uploader writes with Encode and AssignNames, restore and verify read
// with Decode, as archive/tar's format.go owns the tar header for its reader
// and its writer. The package knows nothing of HTTP or of the gateway's
// client: an edge is a metadata map, a child is a directory or not. A
// change here is a format change: bump FormatVersion.
//
//	md := treeformat.Encode(treeformat.Edge{Meta: m, Enc: "xz"})
//	e, err := treeformat.Decode(md, false, -1)
package treeformat
