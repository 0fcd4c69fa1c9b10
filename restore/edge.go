package restore

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// Edge metadata keys (SPEC 10.1, docs/metadata.md). The first six are the
// original tool's.
const (
	keyUID      = "uid"
	keyGID      = "gid"
	keyMode     = "mode"
	keyCaps     = "caps"
	keyACLs     = "acls"
	keyEnc      = "enc"
	keyMtime    = "mtime"
	keyMtimeNs  = "mtime_ns"
	keySize     = "size"
	keyXattrs   = "xattrs"
	keyRdev     = "rdev"
	keyHardlink = "hardlink"
	keyRawname  = "rawname"
	keySparse   = "sparse"

	// FormatKey marks the root wrapper's one child edge in trees written by
	// this tool; FormatVersion is the only version this code reads.
	FormatKey     = "lafs-backup-format"
	FormatVersion = "1"
)

// entry is one child of a directory on the grid, decoded from its node and
// edge metadata.
type entry struct {
	name     string // local name: the raw name bytes (rawname) or the on-grid name
	gridName string // the name the gateway stores
	node     lafsapi.Node
	meta     fsmeta.Meta
	owner    bool   // uid and gid were recorded
	enc      string // "" or "xz"
	size     int64  // recorded original size; -1 when unknown
	hardlink string // raw path (from the tree root) of the first member of its group; "" if none
	sparse   bool   // recreate holes (runs of zero blocks) instead of writing zeros
	listed   bool   // node.Children is the directory's listing (read with Info)
}

// parseEntry decodes a child node and its edge metadata. It checks the
// local name (see checkName) and the metadata's consistency; it never
// touches the disk.
func parseEntry(gridName string, n lafsapi.Node) (entry, error) {
	e := entry{name: gridName, gridName: gridName, node: n, size: -1}
	md := n.Metadata
	if raw, ok := md[keyRawname]; ok {
		s, err := b64String(raw)
		if err != nil {
			return e, fmt.Errorf("rawname: %w", err)
		}
		if err := checkName(s); err != nil {
			return e, fmt.Errorf("rawname: %w", err)
		}
		e.name = s
	}
	if err := checkName(e.name); err != nil {
		return e, err
	}
	if err := e.parseType(md); err != nil {
		return e, err
	}
	return e, e.parseRest(md)
}

// parseType sets the type and mode: a dirnode is a directory; a filenode
// without mode is a symlink (the original tool's marker); otherwise the
// mode's type bits decide.
func (e *entry) parseType(md map[string]any) error {
	mode, hasMode, err := octalField(md, keyMode)
	if err != nil {
		return err
	}
	switch e.node.Type {
	case "dirnode":
		if !hasMode {
			mode = unix.S_IFDIR | 0o755
		}
		if fsmeta.TypeOfMode(mode) != fsmeta.TypeDir {
			return fmt.Errorf("a directory node whose mode %o is not a directory's", mode)
		}
	case "filenode":
		switch {
		case !hasMode || mode&unix.S_IFMT == unix.S_IFLNK:
			mode = unix.S_IFLNK | 0o777
		case mode&unix.S_IFMT == 0:
			mode |= unix.S_IFREG // a bare permission mode: a regular file
		case mode&unix.S_IFMT == unix.S_IFDIR:
			return fmt.Errorf("a file node whose mode %o is a directory's", mode)
		}
	default:
		return fmt.Errorf("node of unknown type %q", e.node.Type)
	}
	if fsmeta.TypeOfMode(mode) == 0 {
		return fmt.Errorf("mode %o has an unknown file type", mode)
	}
	e.meta.Mode = mode
	e.meta.Type = fsmeta.TypeOfMode(mode)
	return nil
}

// parseRest decodes everything but the name, type and mode.
func (e *entry) parseRest(md map[string]any) error {
	uid, hasUID, err := decimalField(md, keyUID, math.MaxUint32)
	if err != nil {
		return err
	}
	gid, hasGID, err := decimalField(md, keyGID, math.MaxUint32)
	if err != nil {
		return err
	}
	e.meta.UID, e.meta.GID, e.owner = uint32(uid), uint32(gid), hasUID && hasGID
	if e.meta.Type != fsmeta.TypeSymlink {
		caps, _, err := stringField(md, keyCaps)
		if err != nil {
			return err
		}
		e.meta.Caps = fsmeta.ParseCapsText(caps)
	}
	acls, _, err := stringField(md, keyACLs)
	if err != nil {
		return err
	}
	e.meta.ACL = fsmeta.ParseACLText(acls)
	if e.meta.MtimeNs, err = mtimeField(md); err != nil {
		return err
	}
	if e.meta.Xattrs, err = xattrsField(md); err != nil {
		return err
	}
	if err := e.parseContent(md); err != nil {
		return err
	}
	return e.parseDevice(md)
}

// parseContent decodes enc, size, hardlink and sparse.
func (e *entry) parseContent(md map[string]any) error {
	var err error
	if e.enc, _, err = stringField(md, keyEnc); err != nil {
		return err
	}
	if e.enc != "" && e.enc != "xz" {
		return fmt.Errorf("unknown content encoding %q", e.enc)
	}
	size, hasSize, err := decimalField(md, keySize, math.MaxInt64)
	if err != nil {
		return err
	}
	switch {
	case hasSize:
		e.size = int64(size)
	case e.enc == "" && e.node.Size >= 0:
		e.size = e.node.Size // the original tool: stored size is the size
	}
	e.meta.Size = max(e.size, 0)
	if raw, ok := md[keyHardlink]; ok {
		if e.hardlink, err = b64String(raw); err != nil {
			return fmt.Errorf("hardlink: %w", err)
		}
		if e.meta.Type != fsmeta.TypeFile {
			return fmt.Errorf("hardlink on a %v", e.meta.Type)
		}
	}
	_, e.sparse = md[keySparse]
	return nil
}

// parseDevice decodes rdev ("major:minor") for device nodes.
func (e *entry) parseDevice(md map[string]any) error {
	if e.meta.Type != fsmeta.TypeCharDev && e.meta.Type != fsmeta.TypeBlockDev {
		return nil
	}
	s, ok, err := stringField(md, keyRdev)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("device node without rdev")
	}
	maj, mnr, found := strings.Cut(s, ":")
	ma, err1 := strconv.ParseUint(maj, 10, 32)
	mi, err2 := strconv.ParseUint(mnr, 10, 32)
	if !found || err1 != nil || err2 != nil {
		return fmt.Errorf("rdev %q is not major:minor", s)
	}
	e.meta.Rdev = unix.Mkdev(uint32(ma), uint32(mi))
	return nil
}

// checkName refuses local names that could leave the directory they are
// written in: empty, ".", "..", or containing "/" or NUL.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("refused: empty name")
	case name == "." || name == "..":
		return fmt.Errorf("refused: name %q", name)
	case strings.ContainsRune(name, '/'):
		return fmt.Errorf("refused: name %s contains '/'", escapePath(name))
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("refused: name %s contains NUL", escapePath(name))
	}
	return nil
}

func stringField(md map[string]any, key string) (string, bool, error) {
	v, ok := md[key]
	if !ok || v == nil {
		return "", false, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", false, fmt.Errorf("metadata %q is not a string", key)
	}
	return s, true, nil
}

// decimalField reads a decimal integer written as a string (or, leniently,
// a JSON integer) no larger than limit.
func decimalField(md map[string]any, key string, limit uint64) (uint64, bool, error) {
	v, ok := md[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	default:
		return 0, false, fmt.Errorf("metadata %q is not a number", key)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > limit {
		return 0, false, fmt.Errorf("metadata %q: %q is not a decimal number in range", key, s)
	}
	return n, true, nil
}

func octalField(md map[string]any, key string) (uint32, bool, error) {
	s, ok, err := stringField(md, key)
	if err != nil || !ok {
		return 0, false, err
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil {
		return 0, false, fmt.Errorf("metadata %q: %q is not an octal mode", key, s)
	}
	return uint32(n), true, nil
}

// mtimeField prefers the exact mtime_ns; else mtime (float seconds, a JSON
// number, or a string); else 0, meaning unknown.
func mtimeField(md map[string]any) (int64, error) {
	if s, ok, err := stringField(md, keyMtimeNs); err != nil || ok {
		if err != nil {
			return 0, err
		}
		ns, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("metadata %q: %q is not an integer", keyMtimeNs, s)
		}
		return ns, nil
	}
	var s string
	switch x := md[keyMtime].(type) {
	case nil:
		return 0, nil
	case json.Number:
		s = x.String()
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return 0, fmt.Errorf("metadata %q is not a number", keyMtime)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > math.MaxInt64/1e9 {
		return 0, fmt.Errorf("metadata %q: %q is not a time", keyMtime, s)
	}
	return int64(math.Round(f * 1e9)), nil
}

func xattrsField(md map[string]any) (map[string][]byte, error) {
	v, ok := md[keyXattrs]
	if !ok || v == nil {
		return nil, nil
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		return nil, fmt.Errorf("metadata %q is not an object", keyXattrs)
	}
	out := make(map[string][]byte, len(obj))
	for name, val := range obj {
		s, isStr := val.(string)
		if !isStr {
			return nil, fmt.Errorf("xattr %q: value is not a string", name)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("xattr %q: value is not base64", name)
		}
		out[name] = b
	}
	return out, nil
}

func b64String(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", errors.New("not a string")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", errors.New("not base64")
	}
	return string(b), nil
}
