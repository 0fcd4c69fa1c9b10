package queue

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Writer writes a queue: the header at NewWriter, one line per Write, the
// trailer at Close. Entries must come in queue order (children before
// their parent, the root last); Write refuses anything else.
type Writer struct {
	bw    *bufio.Writer
	crc   hash.Hash32
	line  []byte
	n     int64
	last  string
	any   bool
	err   error
	ended bool
	sum   Summary
}

// NewWriter writes h's header line to w. h.Version is ignored: the
// current Version is written. Close does not close w.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	wr := &Writer{crc: crc32.New(castagnoli), line: make([]byte, 0, 256)}
	wr.bw = bufio.NewWriterSize(io.MultiWriter(w, wr.crc), 64<<10)
	b := append(wr.line[:0], magic...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, Version, 10)
	b = append(b, " started="...)
	b = h.Started.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, " source="...)
	b = appendEscaped(b, h.Source, fieldPath)
	b = append(b, '\n')
	if _, err := wr.bw.Write(b); err != nil {
		return nil, fmt.Errorf("queue: write header: %w", err)
	}
	return wr, nil
}

// Count is the number of entries written so far.
func (w *Writer) Count() int64 { return w.n }

// Write appends one entry.
func (w *Writer) Write(e Entry) error {
	if w.err != nil {
		return w.err
	}
	if err := w.check(e); err != nil {
		return err
	}
	w.line = appendEntry(w.line[:0], &e)
	if _, err := w.bw.Write(w.line); err != nil {
		w.err = fmt.Errorf("queue: write: %w", err)
		return w.err
	}
	w.n++
	w.last, w.any = e.Path, true
	return nil
}

func (w *Writer) check(e Entry) error {
	if w.ended {
		return errors.New("queue: write after the root entry")
	}
	if err := checkPath(e.Path); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	if w.any && comparePaths(e.Path, w.last) >= 0 {
		return fmt.Errorf("queue: entry %s out of order after %s", pathesc.Escape(e.Path), pathesc.Escape(w.last))
	}
	if err := checkMeta(&e.Meta); err != nil {
		return fmt.Errorf("queue: entry %s: %w", pathesc.Escape(e.Path), err)
	}
	w.ended = e.Path == ""
	return nil
}

// SetSummary records what the walk left out, for the trailer.
func (w *Writer) SetSummary(s Summary) { w.sum = s }

// Close writes the trailer and flushes. It fails, writing no trailer, if
// the root entry (Path "") was not written last.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if !w.ended {
		return errors.New("queue: no root entry: queue left incomplete")
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("queue: write: %w", err)
	}
	b := append(w.line[:0], trailerTag+" entries="...)
	b = strconv.AppendInt(b, w.n, 10)
	b = appendNum(b, " errors=", w.sum.Errors)
	b = appendNum(b, " skipped=", w.sum.Skipped)
	b = append(b, " crc32c="...)
	w.crc.Write(b) // the checksum covers the trailer's own fields too
	b = fmt.Appendf(b, "%08x\n", w.crc.Sum32())
	if _, err := w.bw.Write(b); err != nil {
		return fmt.Errorf("queue: write trailer: %w", err)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("queue: write trailer: %w", err)
	}
	w.err = errors.New("queue: writer closed")
	return nil
}

// appendEntry appends the line for e (docs/queue-format.md).
func appendEntry(b []byte, e *Entry) []byte {
	m := &e.Meta
	b = appendEscaped(b, e.Path, fieldPath)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(m.UID), 10)
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(m.GID), 10)
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(m.Mode), 8)
	if m.Caps != "" || len(m.ACL) > 0 {
		b = append(b, '/')
		b = appendEscaped(b, m.Caps, fieldCaps)
	}
	for i, a := range m.ACL {
		sep := byte(',')
		if i == 0 {
			sep = '/'
		}
		b = appendEscaped(append(b, sep), a, fieldACL)
	}
	b = append(b, " type="...)
	b = append(b, m.Type.String()...)
	b = appendNum(b, " size=", m.Size)
	b = appendNum(b, " mtime_ns=", m.MtimeNs)
	b = appendNum(b, " ctime_ns=", m.CtimeNs)
	b = appendUnum(b, " dev=", m.Dev)
	b = appendUnum(b, " ino=", m.Ino)
	b = appendUnum(b, " nlink=", m.Nlink)
	if m.Rdev != 0 || m.Type == fsmeta.TypeCharDev || m.Type == fsmeta.TypeBlockDev {
		b = appendUnum(b, " rdev=", m.Rdev)
	}
	return append(appendXattrs(b, m.Xattrs), '\n')
}

func appendXattrs(b []byte, xs map[string][]byte) []byte {
	if len(xs) == 0 {
		return b
	}
	names := make([]string, 0, len(xs))
	for k := range xs {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		b = append(b, " xattr."...)
		b = appendEscaped(b, k, fieldXattr)
		b = append(b, '=')
		b = base64.StdEncoding.AppendEncode(b, xs[k])
	}
	return b
}

func appendNum(b []byte, key string, v int64) []byte {
	return strconv.AppendInt(append(b, key...), v, 10)
}

func appendUnum(b []byte, key string, v uint64) []byte {
	return strconv.AppendUint(append(b, key...), v, 10)
}
