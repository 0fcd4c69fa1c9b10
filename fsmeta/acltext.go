package fsmeta

import (
	"fmt"
	"strconv"
	"strings"
)

// parseACLEntry parses one entry in libacl's short ("u:1000:r-x") or long
// ("user:alice:r-x") text form, without a "d:" prefix. A qualifier that is
// a decimal number is an id; anything else is a name looked up through r,
// after undoing libacl's octal escapes ("\040" for a space).
func parseACLEntry(s string, r *Resolver) (aclEntry, error) {
	parts := strings.Split(s, ":")
	var tag, qual, perm string
	switch len(parts) {
	case 3:
		tag, qual, perm = parts[0], parts[1], parts[2]
	case 2:
		tag, perm = parts[0], parts[1]
	default:
		return aclEntry{}, fmt.Errorf("%w: entry %q", ErrBadACL, s)
	}
	p, ok := parsePerm(perm)
	if !ok {
		return aclEntry{}, fmt.Errorf("%w: entry %q: bad permissions", ErrBadACL, s)
	}
	e := aclEntry{perm: p, id: aclUndefinedID}
	var err error
	switch tag {
	case "u", "user":
		e.tag = tagUserObj
		if qual != "" {
			e.tag = tagUser
			e.id, err = resolveID(qual, r, false)
		}
	case "g", "group":
		e.tag = tagGroupObj
		if qual != "" {
			e.tag = tagGroup
			e.id, err = resolveID(qual, r, true)
		}
	case "m", "mask":
		e.tag = tagMask
	case "o", "other":
		e.tag = tagOther
	}
	if e.tag == 0 || (len(parts) == 2 && e.tag != tagMask && e.tag != tagOther) ||
		(qual != "" && e.tag != tagUser && e.tag != tagGroup) {
		return aclEntry{}, fmt.Errorf("%w: entry %q", ErrBadACL, s)
	}
	if err != nil {
		return aclEntry{}, fmt.Errorf("%w: entry %q: %w", ErrBadACL, s, err)
	}
	return e, nil
}

func parsePerm(s string) (uint16, bool) {
	var p uint16
	for i := range len(s) {
		var bit uint16
		switch s[i] {
		case 'r':
			bit = 4
		case 'w':
			bit = 2
		case 'x':
			bit = 1
		case '-':
			continue
		default:
			return 0, false
		}
		if p&bit != 0 {
			return 0, false
		}
		p |= bit
	}
	return p, len(s) > 0
}

func resolveID(qual string, r *Resolver, group bool) (uint32, error) {
	if id, err := strconv.ParseUint(qual, 10, 32); err == nil && id != aclUndefinedID {
		return uint32(id), nil
	}
	name := unescapeACLName(qual)
	if r == nil {
		return 0, fmt.Errorf("name %q needs a Resolver", name)
	}
	if group {
		return r.Group(name)
	}
	return r.User(name)
}

// unescapeACLName undoes libacl's quoting of names: a backslash and three
// octal digits stand for one byte.
func unescapeACLName(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// SplitACL separates Meta.ACL into access entries and default entries (the
// latter without their "d:" prefix). Long "default:" prefixes are accepted.
func SplitACL(acl []string) (access, def []string) {
	for _, e := range acl {
		switch {
		case strings.HasPrefix(e, DefaultPrefix):
			def = append(def, e[len(DefaultPrefix):])
		case strings.HasPrefix(e, "default:"):
			def = append(def, e[len("default:"):])
		default:
			access = append(access, e)
		}
	}
	return access, def
}

// NormalizeACL rewrites an ACL in the form Read records: numeric ids (names
// looked up through r), libacl order, abbreviated tags, "rwx"-style
// permissions, and nil when only the three base access entries remain and
// there is no default ACL. Texts written by the original tool (with names)
// and by this package then compare equal.
func NormalizeACL(acl []string, r *Resolver) ([]string, error) {
	access, def := SplitACL(acl)
	a, err := normalizeEntries(access, r)
	if err != nil {
		return nil, err
	}
	d, err := normalizeEntries(def, r)
	if err != nil {
		return nil, err
	}
	return joinACL(a, d), nil
}

func normalizeEntries(entries []string, r *Resolver) ([]aclEntry, error) {
	out := make([]aclEntry, 0, len(entries))
	for _, s := range entries {
		e, err := parseACLEntry(s, r)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	sortACL(out)
	return out, nil
}

// joinACL builds Meta.ACL from decoded access and default entries.
func joinACL(access, def []aclEntry) []string {
	if len(def) == 0 && isBaseACL(access) {
		return nil
	}
	out := make([]string, 0, len(access)+len(def))
	for _, e := range access {
		out = append(out, e.String())
	}
	for _, e := range def {
		out = append(out, DefaultPrefix+e.String())
	}
	return out
}

// isBaseACL reports whether an access ACL holds only u::, g:: and o::
// entries, so that the mode says all it says.
func isBaseACL(entries []aclEntry) bool {
	for _, e := range entries {
		if e.tag != tagUserObj && e.tag != tagGroupObj && e.tag != tagOther {
			return false
		}
	}
	return true
}

// modeACL is the access ACL equivalent to a mode's permission bits.
func modeACL(mode uint32) []aclEntry {
	return []aclEntry{
		{tag: tagUserObj, perm: uint16(mode>>6) & 7, id: aclUndefinedID},
		{tag: tagGroupObj, perm: uint16(mode>>3) & 7, id: aclUndefinedID},
		{tag: tagOther, perm: uint16(mode) & 7, id: aclUndefinedID},
	}
}
