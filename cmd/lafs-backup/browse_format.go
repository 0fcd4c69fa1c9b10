package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/browse"
	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
)

// openBackup resolves a BACKUP argument as restore does (resolveBackup)
// and opens its tree for ls, diff and find (docs/browse.md).
func openBackup(ctx context.Context, e *env, g browse.Grid, arg string) (*browse.Tree, error) {
	ref, err := resolveBackup(ctx, e, arg)
	if err != nil {
		return nil, err
	}
	t, err := browse.Open(ctx, g, ref.Cap)
	if err != nil {
		return nil, browseReadError(err)
	}
	return t, nil
}

// browseReadError marks a tree the grid cannot give back as exit 7, as
// backupReadError does for restore, and a PATH that names nothing as a
// usage error (exit 2).
func browseReadError(err error) error {
	if errors.Is(err, browse.ErrNoPath) {
		return &exitError{Code: exitUsage, Err: err}
	}
	return backupReadError(err)
}

// typeChars are ls's file type letters.
var typeChars = map[fsmeta.Type]byte{
	fsmeta.TypeFile: '-', fsmeta.TypeDir: 'd', fsmeta.TypeSymlink: 'l', fsmeta.TypeFIFO: 'p',
	fsmeta.TypeSocket: 's', fsmeta.TypeCharDev: 'c', fsmeta.TypeBlockDev: 'b',
}

// modeString renders a mode as ls -l does (drwxr-sr-x, -rwsr-xr-x,
// drwxrwxrwt), with "+" when an ACL beyond the mode was recorded.
func modeString(m fsmeta.Meta) string {
	b := []byte("?rwxrwxrwx")
	if c, ok := typeChars[m.Type]; ok {
		b[0] = c
	}
	for i := 0; i < 9; i++ {
		if m.Mode&(1<<(8-i)) == 0 {
			b[i+1] = '-'
		}
	}
	special := func(bit uint32, pos int, set, unset byte) {
		if m.Mode&bit != 0 {
			if b[pos] == '-' {
				b[pos] = unset
			} else {
				b[pos] = set
			}
		}
	}
	special(unix.S_ISUID, 3, 's', 'S')
	special(unix.S_ISGID, 6, 's', 'S')
	special(unix.S_ISVTX, 9, 't', 'T')
	if len(m.ACL) > 0 {
		return string(b) + "+"
	}
	return string(b)
}

// entryColumns are the text columns of an entry (ls and find): mode,
// uid, gid, size, mtime. Unknown values are "?", a size that does not
// apply "-".
func entryColumns(e browse.Entry) []string {
	if !e.Known || e.Err != nil {
		return []string{"??????????", "?", "?", "?", "?"}
	}
	m := e.Edge.Meta
	uid, gid := "?", "?"
	if e.Edge.Owner {
		uid, gid = strconv.FormatUint(uint64(m.UID), 10), strconv.FormatUint(uint64(m.GID), 10)
	}
	size := "-"
	switch {
	case m.Type == fsmeta.TypeFile && e.Edge.SizeKnown:
		size = strconv.FormatInt(m.Size, 10)
	case m.Type == fsmeta.TypeFile:
		size = "?"
	case m.Type == fsmeta.TypeCharDev || m.Type == fsmeta.TypeBlockDev:
		size = fmt.Sprintf("%d,%d", unix.Major(m.Rdev), unix.Minor(m.Rdev))
	}
	mtime := "?"
	if m.MtimeNs != 0 {
		mtime = localTime(time.Unix(0, m.MtimeNs))
	}
	return []string{modeString(m), uid, gid, size, mtime}
}

// entryJSON is an entry as ls --json and find --json print it. target is
// a symlink's target ("" otherwise).
func entryJSON(e browse.Entry, target string) map[string]any {
	obj := map[string]any{"path": pathesc.Escape(e.Path)}
	if e.Path == "" {
		obj["path"] = "."
	}
	if e.Err != nil {
		obj["error"] = e.Err.Error()
		return obj
	}
	if !e.Known {
		obj["type"] = fsmeta.TypeDir.String()
		return obj
	}
	m := e.Edge.Meta
	obj["type"] = m.Type.String()
	if m.Type != fsmeta.TypeSymlink {
		obj["mode"] = fmt.Sprintf("%04o", m.Mode&0o7777)
	}
	if e.Edge.Owner {
		obj["uid"], obj["gid"] = m.UID, m.GID
	}
	if m.Type == fsmeta.TypeFile && e.Edge.SizeKnown {
		obj["size"] = m.Size
	}
	if m.MtimeNs != 0 {
		obj["mtime"] = jsonTime(time.Unix(0, m.MtimeNs))
	}
	if target != "" {
		obj["target"] = pathesc.Escape(target)
	}
	addOptional(obj, e)
	return obj
}

// addOptional adds the fields only some entries have.
func addOptional(obj map[string]any, e browse.Entry) {
	m := e.Edge.Meta
	if len(m.ACL) > 0 {
		obj["acl"] = strings.Join(m.ACL, ",")
	}
	if m.Caps != "" {
		obj["caps"] = m.Caps
	}
	if len(m.Xattrs) > 0 {
		x := map[string]string{}
		for k, v := range m.Xattrs {
			x[k] = base64.StdEncoding.EncodeToString(v)
		}
		obj["xattrs"] = x
	}
	if m.Type == fsmeta.TypeCharDev || m.Type == fsmeta.TypeBlockDev {
		obj["rdev"] = fmt.Sprintf("%d:%d", unix.Major(m.Rdev), unix.Minor(m.Rdev))
	}
	if e.Edge.Hardlink != "" {
		obj["hardlink"] = pathesc.Escape(e.Edge.Hardlink)
	}
	if e.Edge.Enc != "" {
		obj["enc"] = e.Edge.Enc
	}
}

// writeColumns prints rows with their columns padded to a common width,
// two spaces apart: left-aligned but for column right (right-aligned: a
// size), and the last column unpadded.
func writeColumns(w io.Writer, rows [][]string, right int) {
	var width []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		b.Reset()
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			switch {
			case i == len(r)-1:
				b.WriteString(c)
			case i == right:
				b.WriteString(pad + c + "  ")
			default:
				b.WriteString(c + pad + "  ")
			}
		}
		b.WriteByte('\n')
		io.WriteString(w, b.String())
	}
}
