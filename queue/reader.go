package queue

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/internal/secretfile"
)

// maxLine bounds one line (an entry with many large xattrs stays far below).
const maxLine = 16 << 20

// Reader reads a queue written by Writer. Next returns io.EOF only after a
// valid trailer; any other end is an error wrapping ErrIncomplete or
// ErrCorrupt.
type Reader struct {
	br     *bufio.Reader
	crc    hash.Hash32
	h      Header
	n      int64
	lineNo int64
	last   string
	err    error
	closer io.Closer
	sum    *Summary // from a version-3 trailer, once read
}

// NewReader reads and checks the header line of r.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, 64<<10), crc: crc32.New(castagnoli)}
	line, err := rd.readLine()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("queue: %w: empty file", ErrIncomplete)
	}
	if err != nil {
		return nil, err
	}
	h, err := parseHeader(string(line))
	if err != nil {
		return nil, fmt.Errorf("queue: line 1: %w", err)
	}
	rd.h = h
	rd.crc.Write(line)
	rd.crc.Write([]byte{'\n'})
	return rd, nil
}

// Open opens the queue file at path and reads its header. Close the
// Reader to close the file.
func Open(path string) (*Reader, error) {
	f, err := secretfile.OpenFile(path, os.O_RDONLY)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	r, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	r.closer = f
	return r, nil
}

// Close closes the file opened by Open; it does nothing for NewReader.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// Header returns the header read by NewReader.
func (r *Reader) Header() Header { return r.h }

// Summary returns what the walk left out, as the trailer records it. ok
// is false until Next has returned io.EOF, and for queues older than
// version 3, which do not record it.
func (r *Reader) Summary() (s Summary, ok bool) {
	if r.sum == nil {
		return Summary{}, false
	}
	return *r.sum, true
}

// Count is the number of entries returned so far.
func (r *Reader) Count() int64 { return r.n }

// Next returns the next entry, or io.EOF after a valid trailer.
func (r *Reader) Next() (Entry, error) {
	if r.err != nil {
		return Entry{}, r.err
	}
	e, err := r.next()
	if err != nil {
		r.err = err
	}
	return e, err
}

func (r *Reader) next() (Entry, error) {
	line, err := r.readLine()
	if errors.Is(err, io.EOF) {
		return Entry{}, fmt.Errorf("queue: %w: no trailer after %d entries", ErrIncomplete, r.n)
	}
	if err != nil {
		return Entry{}, err
	}
	if len(line) > 0 && line[0] == '#' {
		return Entry{}, r.trailer(line)
	}
	r.crc.Write(line)
	r.crc.Write([]byte{'\n'})
	e, err := parseEntry(string(line))
	if err == nil {
		err = r.checkOrder(e.Path)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("queue: line %d: %w", r.lineNo, err)
	}
	r.n++
	r.last = e.Path
	return e, nil
}

// Skip passes over the next n entries without parsing them: they count
// for the trailer's count and checksum as ever, but only the last one's
// path is decoded, for the order check of the entry after it. For a
// second pass over a queue whose entries were checked by a first one
// (the uploader skipping a subtree it reuses whole). Meeting the trailer
// or any error before n entries is an error.
func (r *Reader) Skip(n int64) error {
	if r.err != nil {
		return r.err
	}
	if err := r.skip(n); err != nil {
		r.err = err
		return err
	}
	return nil
}

func (r *Reader) skip(n int64) error {
	var last []byte
	for i := int64(0); i < n; i++ {
		line, err := r.readLine()
		if errors.Is(err, io.EOF) || err == nil && len(line) > 0 && line[0] == '#' {
			return fmt.Errorf("queue: %w: %d entries to skip, the file ends after %d", ErrCorrupt, n, i)
		}
		if err != nil {
			return err
		}
		r.crc.Write(line)
		r.crc.Write([]byte{'\n'})
		r.n++
		if i == n-1 {
			last = line
		}
	}
	if n == 0 {
		return nil
	}
	tok, _, _ := bytes.Cut(last, []byte{' '})
	p, err := unescape(string(tok), fieldPath)
	if err != nil {
		return fmt.Errorf("queue: line %d: %w: path: %v", r.lineNo, ErrCorrupt, err)
	}
	r.last = p
	return nil
}

func (r *Reader) checkOrder(p string) error {
	if r.n > 0 && (r.last == "" || comparePaths(p, r.last) >= 0) {
		return fmt.Errorf("%w: entry %s out of order after %s", ErrCorrupt, pathesc.Escape(p), pathesc.Escape(r.last))
	}
	return nil
}

// trailer checks the trailer line and that nothing follows it.
func (r *Reader) trailer(line []byte) error {
	t, err := parseTrailer(string(line), r.h.Version)
	if err != nil {
		return fmt.Errorf("queue: line %d: %w", r.lineNo, err)
	}
	if r.h.Version >= summaryVersion {
		r.crc.Write(line[:len(line)-8]) // up to "crc32c=": the fields are covered
	}
	n, sum := t.entries, t.crc
	switch {
	case n != r.n:
		return fmt.Errorf("queue: %w: trailer counts %d entries, file has %d", ErrCorrupt, n, r.n)
	case sum != r.crc.Sum32():
		return fmt.Errorf("queue: %w: checksum mismatch", ErrCorrupt)
	case r.n == 0 || r.last != "":
		return fmt.Errorf("queue: %w: the root entry is not last", ErrCorrupt)
	}
	if _, err := r.br.ReadByte(); err != io.EOF {
		return fmt.Errorf("queue: %w: data after the trailer", ErrCorrupt)
	}
	if r.h.Version >= summaryVersion {
		r.sum = &t.sum
	}
	return io.EOF
}

// readLine returns the next line without its newline. A last line without
// a newline is ErrIncomplete; io.EOF means no more bytes at all.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		line, err = r.readLong(line)
	}
	r.lineNo++
	switch {
	case err == nil:
		return line[:len(line)-1], nil
	case errors.Is(err, io.EOF) && len(line) == 0:
		return nil, io.EOF
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("queue: %w: line %d cut short", ErrIncomplete, r.lineNo)
	}
	return nil, fmt.Errorf("queue: read line %d: %w", r.lineNo, err)
}

func (r *Reader) readLong(first []byte) ([]byte, error) {
	buf := bytes.Clone(first)
	for {
		more, err := r.br.ReadSlice('\n')
		buf = append(buf, more...)
		if len(buf) > maxLine {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrCorrupt, maxLine)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return buf, err
		}
	}
}

func parseHeader(s string) (Header, error) {
	fields := strings.Split(s, " ")
	if len(fields) < 2 || fields[0] != magic {
		return Header{}, fmt.Errorf("%w: not a lafs-backup queue (no %q header)", ErrCorrupt, magic)
	}
	v, err := strconv.Atoi(fields[1])
	if err != nil || v < MinVersion || v > Version {
		return Header{}, fmt.Errorf("queue format version %q not supported (this program reads versions %d to %d)", fields[1], MinVersion, Version)
	}
	h := Header{Version: v}
	var haveSrc, haveTime bool
	for _, f := range fields[2:] {
		k, val, _ := strings.Cut(f, "=")
		switch k {
		case "started":
			h.Started, err = time.Parse(time.RFC3339Nano, val)
			haveTime = err == nil
		case "source":
			h.Source, err = unescape(val, fieldPath)
			haveSrc = err == nil
		}
		if err != nil {
			return Header{}, fmt.Errorf("%w: header %s: %v", ErrCorrupt, k, err)
		}
	}
	if !haveSrc || !haveTime {
		return Header{}, fmt.Errorf("%w: header lacks source= or started=", ErrCorrupt)
	}
	return h, nil
}

// trailer is the last line's content.
type trailer struct {
	entries int64
	crc     uint32
	sum     Summary
}

// parseTrailer reads "#end entries=N crc32c=H" (versions 1 and 2) or
// "#end entries=N errors=N skipped=N crc32c=H" (version 3), fields in
// that order.
func parseTrailer(s string, version int) (trailer, error) {
	var t trailer
	keys := []string{"entries", "crc32c"}
	if version >= summaryVersion {
		keys = []string{"entries", "errors", "skipped", "crc32c"}
	}
	fields := strings.Split(s, " ")
	if len(fields) != len(keys)+1 || fields[0] != trailerTag {
		return t, fmt.Errorf("%w: bad trailer %q", ErrCorrupt, s)
	}
	nums := map[string]*int64{"entries": &t.entries, "errors": &t.sum.Errors, "skipped": &t.sum.Skipped}
	for i, k := range keys {
		v, ok := strings.CutPrefix(fields[i+1], k+"=")
		if !ok {
			return t, fmt.Errorf("%w: bad trailer %q", ErrCorrupt, s)
		}
		if k == "crc32c" {
			sum, err := strconv.ParseUint(v, 16, 32)
			if err != nil || len(v) != 8 {
				return t, fmt.Errorf("%w: bad trailer %q", ErrCorrupt, s)
			}
			t.crc = uint32(sum)
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return t, fmt.Errorf("%w: bad trailer %q", ErrCorrupt, s)
		}
		*nums[k] = n
	}
	return t, nil
}
