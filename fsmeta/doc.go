// Package fsmeta reads, compares and restores the metadata lafs-backup keeps
// for one path: type, owner, full mode, POSIX ACLs, file capabilities, other
// extended attributes, size and times.
//
// Everything works on the path itself and never follows symlinks. The ACL and
// capability xattrs are decoded in pure Go (no cgo, no libacl or libcap) into
// the text forms that libacl and `getcap -n` print; the same text is encoded
// back to the kernel's binary layout at restore time (Apply, in the order
// docs/fsmeta.md gives), and Diff compares two records for verify. docs/fsmeta.md
// describes the formats and the decisions behind them.
package fsmeta
