package treeformat

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
)

// Decode reads the edge metadata md of a child: a directory node when dir
// is set, else a file node, whose own size (the filenode's, as the gateway
// lists it) is nodeSize, -1 when unknown. It reads trees of either tool
// (docs/metadata.md, "Reading trees of the original tool"): a file node
// without mode is a symlink, a bare permission mode a regular file, numbers
// may be strings, json.Number (as lafsapi decodes them) or float64, and a
// missing mtime is 0, meaning unknown. It checks that the metadata is
// consistent (a directory's mode is a directory's, a device has rdev); it
// does not judge the raw name, which the caller must check before it uses
// it as a local name.
func Decode(md map[string]any, dir bool, nodeSize int64) (Edge, error) {
	var e Edge
	if raw, ok := md[KeyRawname]; ok {
		s, err := b64String(raw)
		if err == nil && s == "" {
			err = errors.New("empty name")
		}
		if err != nil {
			return e, fmt.Errorf("rawname: %w", err)
		}
		e.RawName = s
	}
	if err := e.decodeType(md, dir); err != nil {
		return e, err
	}
	if err := e.decodeOwnerAndMeta(md); err != nil {
		return e, err
	}
	if err := e.decodeContent(md, nodeSize); err != nil {
		return e, err
	}
	if err := e.decodeDevice(md); err != nil {
		return e, err
	}
	e.Format, _ = md[FormatKey].(string)
	return e, nil
}

// decodeType sets the type and mode: a directory node is a directory; a
// file node without mode is a symlink (the original tool's marker);
// otherwise the mode's type bits decide.
func (e *Edge) decodeType(md map[string]any, dir bool) error {
	mode, hasMode, err := octalField(md, KeyMode)
	if err != nil {
		return err
	}
	if dir {
		if !hasMode {
			mode = unix.S_IFDIR | 0o755
		}
		if fsmeta.TypeOfMode(mode) != fsmeta.TypeDir {
			return fmt.Errorf("a directory node whose mode %o is not a directory's", mode)
		}
	} else {
		switch {
		case !hasMode || mode&unix.S_IFMT == unix.S_IFLNK:
			mode = unix.S_IFLNK | 0o777
		case mode&unix.S_IFMT == 0:
			mode |= unix.S_IFREG // a bare permission mode: a regular file
		case mode&unix.S_IFMT == unix.S_IFDIR:
			return fmt.Errorf("a file node whose mode %o is a directory's", mode)
		}
	}
	if fsmeta.TypeOfMode(mode) == 0 {
		return fmt.Errorf("mode %o has an unknown file type", mode)
	}
	e.Meta.Mode = mode
	e.Meta.Type = fsmeta.TypeOfMode(mode)
	return nil
}

// decodeOwnerAndMeta decodes owner, caps, ACL, mtime and xattrs.
func (e *Edge) decodeOwnerAndMeta(md map[string]any) error {
	uid, hasUID, err := decimalField(md, KeyUID, math.MaxUint32)
	if err != nil {
		return err
	}
	gid, hasGID, err := decimalField(md, KeyGID, math.MaxUint32)
	if err != nil {
		return err
	}
	e.Meta.UID, e.Meta.GID, e.Owner = uint32(uid), uint32(gid), hasUID && hasGID
	if e.Meta.Type != fsmeta.TypeSymlink {
		// The original tool recorded a symlink's caps from its target.
		caps, _, err := stringField(md, KeyCaps)
		if err != nil {
			return err
		}
		e.Meta.Caps = fsmeta.ParseCapsText(caps)
	}
	acls, _, err := stringField(md, KeyACLs)
	if err != nil {
		return err
	}
	e.Meta.ACL = fsmeta.ParseACLText(acls)
	if e.Meta.MtimeNs, err = mtimeField(md); err != nil {
		return err
	}
	e.Meta.Xattrs, err = xattrsField(md)
	return err
}

// decodeContent decodes enc, size, hardlink and sparse.
func (e *Edge) decodeContent(md map[string]any, nodeSize int64) error {
	var err error
	if e.Enc, _, err = stringField(md, KeyEnc); err != nil {
		return err
	}
	if e.Enc != "" && e.Enc != EncXZ {
		return fmt.Errorf("unknown content encoding %q", e.Enc)
	}
	size, hasSize, err := decimalField(md, KeySize, math.MaxInt64)
	if err != nil {
		return err
	}
	switch {
	case hasSize:
		e.Meta.Size, e.SizeKnown = int64(size), true
	case e.Enc == "" && nodeSize >= 0:
		e.Meta.Size, e.SizeKnown = nodeSize, true // the original tool: stored size is the size
	}
	if raw, ok := md[KeyHardlink]; ok {
		if e.Hardlink, err = b64String(raw); err != nil {
			return fmt.Errorf("hardlink: %w", err)
		}
		// Any non-directory can be a group member: rsync --link-dest
		// snapshots link symlinks, FIFOs, sockets and devices too
		// (docs/metadata.md, Hardlinks).
		if e.Meta.Type == fsmeta.TypeDir {
			return fmt.Errorf("hardlink on a %v", e.Meta.Type)
		}
	}
	if v, ok := md[KeySparse]; ok {
		size := int64(-1)
		if e.SizeKnown {
			size = e.Meta.Size
		}
		e.Sparse, e.Holes = true, decodeHoles(v, size)
	}
	return nil
}

// decodeDevice decodes rdev ("major:minor") for device nodes.
func (e *Edge) decodeDevice(md map[string]any) error {
	if e.Meta.Type != fsmeta.TypeCharDev && e.Meta.Type != fsmeta.TypeBlockDev {
		return nil
	}
	s, ok, err := stringField(md, KeyRdev)
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
	e.Meta.Rdev = unix.Mkdev(uint32(ma), uint32(mi))
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
	if s, ok, err := stringField(md, KeyMtimeNs); err != nil || ok {
		if err != nil {
			return 0, err
		}
		ns, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("metadata %q: %q is not an integer", KeyMtimeNs, s)
		}
		return ns, nil
	}
	var s string
	switch x := md[KeyMtime].(type) {
	case nil:
		return 0, nil
	case json.Number:
		s = x.String()
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return 0, fmt.Errorf("metadata %q is not a number", KeyMtime)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > math.MaxInt64/1e9 {
		return 0, fmt.Errorf("metadata %q: %q is not a time", KeyMtime, s)
	}
	return int64(math.Round(f * 1e9)), nil
}

func xattrsField(md map[string]any) (map[string][]byte, error) {
	v, ok := md[KeyXattrs]
	if !ok || v == nil {
		return nil, nil
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		return nil, fmt.Errorf("metadata %q is not an object", KeyXattrs)
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
