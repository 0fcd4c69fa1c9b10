package fsmeta

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The POSIX ACL xattrs (include/uapi/linux/posix_acl_xattr.h).
const (
	aclAccessXattr  = "system.posix_acl_access"
	aclDefaultXattr = "system.posix_acl_default"
	aclVersion      = 2
	aclUndefinedID  = 0xFFFFFFFF
	aclEntrySize    = 8

	// DefaultPrefix marks default ACL entries in Meta.ACL.
	DefaultPrefix = "d:"
)

// ACL entry tags, in the order libacl and the kernel sort entries.
const (
	tagUserObj  = 0x01
	tagUser     = 0x02
	tagGroupObj = 0x04
	tagGroup    = 0x08
	tagMask     = 0x10
	tagOther    = 0x20
)

var tagLetters = map[uint16]string{
	tagUserObj: "u", tagUser: "u", tagGroupObj: "g", tagGroup: "g", tagMask: "m", tagOther: "o",
}

// ErrBadACL reports an ACL value or entry that cannot be decoded.
var ErrBadACL = errors.New("fsmeta: bad ACL")

// aclEntry is one ACL entry as the kernel stores it.
type aclEntry struct {
	tag  uint16
	perm uint16
	id   uint32
}

func (e aclEntry) String() string {
	q := ""
	if e.tag == tagUser || e.tag == tagGroup {
		q = strconv.FormatUint(uint64(e.id), 10)
	}
	return tagLetters[e.tag] + ":" + q + ":" + permText(e.perm)
}

func permText(p uint16) string {
	b := []byte("---")
	if p&4 != 0 {
		b[0] = 'r'
	}
	if p&2 != 0 {
		b[1] = 'w'
	}
	if p&1 != 0 {
		b[2] = 'x'
	}
	return string(b)
}

// DecodeACL turns a system.posix_acl_access or system.posix_acl_default
// value into entries in libacl's abbreviated text form with numeric ids
// ("u::rwx", "u:1000:r-x", "m::rwx", "o::r--"), in libacl order.
func DecodeACL(b []byte) ([]string, error) {
	entries, err := parseACLXattr(b)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.String()
	}
	return out, nil
}

func parseACLXattr(b []byte) ([]aclEntry, error) {
	if len(b) < 4 || (len(b)-4)%aclEntrySize != 0 {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadACL, len(b))
	}
	if v := binary.LittleEndian.Uint32(b); v != aclVersion {
		return nil, fmt.Errorf("%w: version %d", ErrBadACL, v)
	}
	entries := make([]aclEntry, 0, (len(b)-4)/aclEntrySize)
	for off := 4; off < len(b); off += aclEntrySize {
		e := aclEntry{
			tag:  binary.LittleEndian.Uint16(b[off:]),
			perm: binary.LittleEndian.Uint16(b[off+2:]),
			id:   binary.LittleEndian.Uint32(b[off+4:]),
		}
		if tagLetters[e.tag] == "" || e.perm&^7 != 0 {
			return nil, fmt.Errorf("%w: entry tag %#x perm %#x", ErrBadACL, e.tag, e.perm)
		}
		if e.tag != tagUser && e.tag != tagGroup {
			e.id = aclUndefinedID
		}
		entries = append(entries, e)
	}
	sortACL(entries)
	return entries, nil
}

func sortACL(entries []aclEntry) {
	slices.SortStableFunc(entries, func(a, b aclEntry) int {
		return cmp.Or(cmp.Compare(a.tag, b.tag), cmp.Compare(a.id, b.id))
	})
}

// EncodeACL turns ACL entries (without the "d:" prefix) into the kernel's
// binary form, sorted as the kernel wants it. Entries may use the short or
// long tag names and numeric ids or names; names are looked up through r
// (nil: names are an error). The ACL must be valid: one u::, g:: and o::
// entry, a m:: entry when there are named entries, no duplicates.
func EncodeACL(entries []string, r *Resolver) ([]byte, error) {
	parsed := make([]aclEntry, 0, len(entries))
	for _, s := range entries {
		e, err := parseACLEntry(s, r)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, e)
	}
	sortACL(parsed)
	if err := validACL(parsed); err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrBadACL, strings.Join(entries, ","), err)
	}
	b := make([]byte, 4, 4+aclEntrySize*len(parsed))
	binary.LittleEndian.PutUint32(b, aclVersion)
	for _, e := range parsed {
		b = binary.LittleEndian.AppendUint16(b, e.tag)
		b = binary.LittleEndian.AppendUint16(b, e.perm)
		b = binary.LittleEndian.AppendUint32(b, e.id)
	}
	return b, nil
}

// validACL checks a sorted ACL as the kernel's posix_acl_valid does.
func validACL(entries []aclEntry) error {
	count := map[uint16]int{}
	for i, e := range entries {
		count[e.tag]++
		if i > 0 && entries[i-1].tag == e.tag && entries[i-1].id == e.id {
			return fmt.Errorf("duplicate entry %s", e)
		}
	}
	for _, tag := range []uint16{tagUserObj, tagGroupObj, tagOther} {
		if count[tag] != 1 {
			return fmt.Errorf("need exactly one %s:: entry", tagLetters[tag])
		}
	}
	if count[tagUser]+count[tagGroup] > 0 && count[tagMask] == 0 {
		return errors.New("named entries need a m:: entry")
	}
	return nil
}
