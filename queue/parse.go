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
	uidTok, rest, ok1 := strings.Cut(ids, ":")
	gidTok, modeTok, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || strings.Contains(modeTok, ":") {
		return fmt.Errorf("want uid:gid:mode, got %q", ids)
	}
	uid, err1 := parseUint(uidTok)
	gid, err2 := parseUint(gidTok)
	if uid > 1<<32-1 || gid > 1<<32-1 {
		err1 = strconv.ErrRange
	}
	mode, err3 := strconv.ParseUint(modeTok, 8, 32)
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
		m.Size, err = parseInt(v)
		bit = kSize
	case "mtime_ns":
		m.MtimeNs, err = parseInt(v)
		bit = kMtime
	case "ctime_ns":
		m.CtimeNs, err = parseInt(v)
		bit = kCtime
	case "dev":
		m.Dev, err = parseUint(v)
		bit = kDev
	case "ino":
		m.Ino, err = parseUint(v)
		bit = kIno
	case "nlink":
		m.Nlink, err = parseUint(v)
		bit = kNlink
	case "rdev":
		m.Rdev, err = parseUint(v)
		bit = kRdev
	default:
		return 0, fmt.Errorf("unknown field %q", k)
	}
	if err != nil {
		return 0, fmt.Errorf("field %s: %v", k, err)
	}
	return bit, nil
}

// parseUint parses a decimal uint64 the way strconv.ParseUint(s, 10, 64)
// does (no sign, no underscores, no leading "+"), without its generic
// base handling: the queue parser spent a sixth of its time there.
func parseUint(s string) (uint64, error) {
	if s == "" || len(s) > 20 {
		return strconv.ParseUint(s, 10, 64) // its error (or, for 20 digits, its range check)
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return strconv.ParseUint(s, 10, 64)
		}
		if len(s) == 20 && n > (1<<64-1-uint64(c))/10 {
			return strconv.ParseUint(s, 10, 64)
		}
		n = n*10 + uint64(c)
	}
	return n, nil
}

// parseInt parses a decimal int64 with an optional "-", as
// strconv.ParseInt(s, 10, 64) does.
func parseInt(s string) (int64, error) {
	neg := len(s) > 0 && s[0] == '-'
	digits := s
	if neg {
		digits = s[1:]
	}
	u, err := parseUint(digits)
	if err != nil || digits == "" || len(digits) > 0 && digits[0] == '+' || u > 1<<63-1 && !(neg && u == 1<<63) {
		return strconv.ParseInt(s, 10, 64)
	}
	if neg {
		return -int64(u), nil
	}
	return int64(u), nil
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
