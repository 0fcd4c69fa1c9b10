package fsmeta

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Type is the kind of a filesystem object.
type Type uint8

// The types of filesystem objects a backup records.
const (
	TypeFile Type = iota + 1
	TypeDir
	TypeSymlink
	TypeFIFO
	TypeSocket
	TypeCharDev
	TypeBlockDev
)

var typeNames = [...]string{
	TypeFile:     "file",
	TypeDir:      "dir",
	TypeSymlink:  "symlink",
	TypeFIFO:     "fifo",
	TypeSocket:   "socket",
	TypeCharDev:  "chardev",
	TypeBlockDev: "blockdev",
}

// String returns "file", "dir", "symlink", "fifo", "socket", "chardev" or
// "blockdev"; an unknown value prints as "type(N)".
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// TypeOfMode returns the Type encoded in the S_IFMT bits of an st_mode, or 0
// when those bits name no known type.
func TypeOfMode(mode uint32) Type {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return TypeFile
	case unix.S_IFDIR:
		return TypeDir
	case unix.S_IFLNK:
		return TypeSymlink
	case unix.S_IFIFO:
		return TypeFIFO
	case unix.S_IFSOCK:
		return TypeSocket
	case unix.S_IFCHR:
		return TypeCharDev
	case unix.S_IFBLK:
		return TypeBlockDev
	}
	return 0
}

// Meta is what phase one records for a path (symlinks are never followed).
type Meta struct {
	Type     Type
	UID, GID uint32
	// Mode is the full st_mode: type bits, setuid/setgid/sticky and
	// permission bits, kept even when an ACL exists.
	Mode uint32
	// Caps is the file capability text as `getcap -n` prints it, e.g.
	// "cap_net_raw=ep" or "cap_chown=ep [rootid=1000]"; "" means none.
	// Never set for symlinks.
	Caps string
	// ACL holds the access ACL entries, then the default ACL entries
	// prefixed "d:", in libacl's abbreviated form with numeric ids and in
	// libacl order (u::, u:ID, g::, g:ID, m::, o::). It is nil when the ACL
	// only mirrors the mode and there is no default ACL.
	ACL []string
	// Xattrs holds the other extended attributes, only when
	// Options.Xattrs was set; nil otherwise.
	Xattrs  map[string][]byte
	Size    int64
	MtimeNs int64 // unix nanoseconds
	// CtimeNs is the inode's change time (unix nanoseconds): it moves on
	// every change of content or metadata and cannot be set by a user.
	// 0 means unknown (a queue of format version 1).
	CtimeNs int64
	Dev     uint64
	Ino     uint64
	Nlink   uint64
	Rdev    uint64 // device nodes only
}

// Options says what Read collects besides stat data, ACLs and caps.
type Options struct {
	// Xattrs also reads extended attributes other than the ACL and
	// capability ones (user.*, trusted.*, security.* except
	// security.capability and security.selinux).
	Xattrs bool
}

// FromStat returns the Meta fields that come from stat alone.
func FromStat(st *unix.Stat_t) Meta {
	m := Meta{
		Type:    TypeOfMode(st.Mode),
		UID:     st.Uid,
		GID:     st.Gid,
		Mode:    st.Mode,
		Size:    st.Size,
		MtimeNs: st.Mtim.Nano(),
		CtimeNs: st.Ctim.Nano(),
		Dev:     uint64(st.Dev), //nolint:unconvert // differs per arch
		Ino:     st.Ino,
		Nlink:   uint64(st.Nlink), //nolint:unconvert // uint32 on arm64
	}
	if m.Type == TypeCharDev || m.Type == TypeBlockDev {
		m.Rdev = uint64(st.Rdev) //nolint:unconvert // differs per arch
	}
	return m
}

// CapsText returns m.Caps in the queue and edge form: spaces written as ";",
// as the original tool did.
func (m Meta) CapsText() string { return strings.ReplaceAll(m.Caps, " ", ";") }

// ParseCapsText is the inverse of CapsText: ";" back to spaces.
func ParseCapsText(s string) string { return strings.ReplaceAll(s, ";", " ") }

// ACLText returns the ACL entries joined with ",".
func (m Meta) ACLText() string { return strings.Join(m.ACL, ",") }

// ParseACLText splits a comma-joined ACL; "" gives nil.
func ParseACLText(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
