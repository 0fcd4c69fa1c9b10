package queue

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
)

var typeByName = map[string]fsmeta.Type{}

func init() {
	for t := fsmeta.TypeFile; t <= fsmeta.TypeBlockDev; t++ {
		typeByName[t.String()] = t
	}
}

// Keys of the key=value fields; each bit marks one seen.
const (
	kType = 1 << iota
	kSize
	kMtime
	kDev
	kIno
	kNlink
	kRdev
	kCtime
	kRequired = kType | kSize | kMtime | kDev | kIno | kNlink
)

// parseEntry parses one entry line (without its newline).
func parseEntry(s string) (Entry, error) {
	pathTok, rest, ok := strings.Cut(s, " ")
	if !ok {
		return Entry{}, fmt.Errorf("%w: entry has no metadata", ErrCorrupt)
	}
	var e Entry
	var err error
	if e.Path, err = unescape(pathTok, fieldPath); err != nil {
		return Entry{}, fmt.Errorf("%w: path: %v", ErrCorrupt, err)
	}
	if err := checkPath(e.Path); err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	metaTok, kv, _ := strings.Cut(rest, " ")
	if err := parseOwnerMode(metaTok, &e.Meta); err != nil {
		return Entry{}, fmt.Errorf("%w: entry %s: %v", ErrCorrupt, pathesc.Escape(e.Path), err)
	}
	if err := parseFields(kv, &e.Meta); err != nil {
		return Entry{}, fmt.Errorf("%w: entry %s: %v", ErrCorrupt, pathesc.Escape(e.Path), err)
	}
	if err := checkMeta(&e.Meta); err != nil {
		return Entry{}, fmt.Errorf("%w: entry %s: %v", ErrCorrupt, pathesc.Escape(e.Path), err)
	}
	return e, nil
}

// parseOwnerMode parses "uid:gid:mode[/caps[/acl]]".
func parseOwnerMode(tok string, m *fsmeta.Meta) error {
	ids, extra, hasExtra := strings.Cut(tok, "/")
	parts := strings.Split(ids, ":")
	if len(parts) != 3 {
		return fmt.Errorf("want uid:gid:mode, got %q", ids)
	}
	uid, err1 := strconv.ParseUint(parts[0], 10, 32)
	gid, err2 := strconv.ParseUint(parts[1], 10, 32)
	mode, err3 := strconv.ParseUint(parts[2], 8, 32)
	if err1 != nil || err2 != nil || err3 != nil {
		return fmt.Errorf("bad uid:gid:mode %q", ids)
	}
	m.UID, m.GID, m.Mode = uint32(uid), uint32(gid), uint32(mode)
	if !hasExtra {
		return nil
	}
	caps, acl, hasACL := strings.Cut(extra, "/")
	var err error
	if m.Caps, err = unescape(caps, fieldCaps); err != nil {
		return fmt.Errorf("caps: %v", err)
	}
	if hasACL {
		return parseACL(acl, m)
	}
	return nil
}

func parseACL(s string, m *fsmeta.Meta) error {
	for a := range strings.SplitSeq(s, ",") {
		v, err := unescape(a, fieldACL)
		if err != nil {
			return fmt.Errorf("acl: %v", err)
		}
		m.ACL = append(m.ACL, v)
	}
	return nil
}

// parseFields parses the space-separated key=value fields.
func parseFields(s string, m *fsmeta.Meta) error {
	seen := 0
	for f := range strings.SplitSeq(s, " ") {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return fmt.Errorf("field %q is not key=value", f)
		}
		if name, isX := strings.CutPrefix(k, "xattr."); isX {
			if err := parseXattr(name, v, m); err != nil {
				return err
			}
			continue
		}
		bit, err := parseField(k, v, m)
		if err != nil {
			return err
		}
		if seen&bit != 0 {
			return fmt.Errorf("field %s twice", k)
		}
		seen |= bit
	}
	if seen&kRequired != kRequired {
		return fmt.Errorf("missing one of type, size, mtime_ns, dev, ino, nlink")
	}
	return nil
}

func parseField(k, v string, m *fsmeta.Meta) (int, error) {
	var err error
	var bit int
	switch k {
	case "type":
		t, ok := typeByName[v]
		if !ok {
			return 0, fmt.Errorf("unknown type %q", v)
		}
		m.Type, bit = t, kType
	case "size":
		m.Size, err = strconv.ParseInt(v, 10, 64)
		bit = kSize
	case "mtime_ns":
		m.MtimeNs, err = strconv.ParseInt(v, 10, 64)
		bit = kMtime
	case "ctime_ns":
		m.CtimeNs, err = strconv.ParseInt(v, 10, 64)
		bit = kCtime
	case "dev":
		m.Dev, err = strconv.ParseUint(v, 10, 64)
		bit = kDev
	case "ino":
		m.Ino, err = strconv.ParseUint(v, 10, 64)
		bit = kIno
	case "nlink":
		m.Nlink, err = strconv.ParseUint(v, 10, 64)
		bit = kNlink
	case "rdev":
		m.Rdev, err = strconv.ParseUint(v, 10, 64)
		bit = kRdev
	default:
		return 0, fmt.Errorf("unknown field %q", k)
	}
	if err != nil {
		return 0, fmt.Errorf("field %s: %v", k, err)
	}
	return bit, nil
}

func parseXattr(escName, v string, m *fsmeta.Meta) error {
	name, err := unescape(escName, fieldXattr)
	if err != nil {
		return fmt.Errorf("xattr name: %v", err)
	}
	val, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return fmt.Errorf("xattr %s: %v", escName, err)
	}
	if m.Xattrs == nil {
		m.Xattrs = map[string][]byte{}
	}
	if _, dup := m.Xattrs[name]; dup {
		return fmt.Errorf("xattr %s twice", escName)
	}
	m.Xattrs[name] = val
	return nil
}
