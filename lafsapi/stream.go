package lafsapi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ManifestUnit is one line of a manifest or deep-check stream: an object
// reachable from the root (the root first, with an empty Path), or, last,
// the walk's statistics (Type "stats").
type ManifestUnit struct {
	Type         string   // "directory", "file", "unknown" or "stats"
	Path         []string // names from the root
	Cap          Cap      // write cap when available, else read cap; zero if unparseable
	StorageIndex string   // base32; "" for LIT objects
	Stats        map[string]any
}

// DeepCheckUnit is a ManifestUnit with the object's check result.
type DeepCheckUnit struct {
	ManifestUnit
	Check CheckResult
}

// StreamError is the gateway stopping a walk at an "ERROR:" line (a
// directory it could not read). Path is that of the last object reported
// before it, which the gateway says is the failing directory.
type StreamError struct {
	Path []string
	Msg  string
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("the gateway stopped the walk after /%s: %s", strings.Join(e.Path, "/"), e.Msg)
}

// ErrTruncated: a stream ended without its final stats line.
var ErrTruncated = errors.New("stream ended before its stats line")

// StreamDeepCheck checks every object reachable from the directory root
// (POST ?t=stream-deep-check), calling fn for each line as it arrives, the
// stats line last. It stops at an "ERROR:" line with a *StreamError (use
// errors.As), and when fn returns an error, which it returns. The stream is
// not retried once it has started.
func (c *Client) StreamDeepCheck(ctx context.Context, root Cap, opts CheckOptions, fn func(DeepCheckUnit) error) error {
	return c.stream(ctx, "stream-deep-check", root, opts.query("stream-deep-check"), func(line []byte) error {
		var raw struct {
			rawUnit
			Check       *rawCheck `json:"check-results"`
			CheckRepair *rawCheck `json:"check-and-repair-results"`
		}
		if err := decodeJSON(line, &raw); err != nil {
			return errors.New("a deep-check line is not JSON")
		}
		u := DeepCheckUnit{ManifestUnit: raw.unit()}
		switch {
		case raw.CheckRepair != nil:
			u.Check = raw.CheckRepair.result()
		case raw.Check != nil:
			u.Check = raw.Check.result()
		}
		return fn(u)
	})
}

// StreamManifest lists every object reachable from the directory root
// (POST ?t=stream-manifest), with the same stopping rules as
// StreamDeepCheck.
func (c *Client) StreamManifest(ctx context.Context, root Cap, fn func(ManifestUnit) error) error {
	q := url.Values{"t": {"stream-manifest"}}
	return c.stream(ctx, "stream-manifest", root, q, func(line []byte) error {
		var raw rawUnit
		if err := decodeJSON(line, &raw); err != nil {
			return errors.New("a manifest line is not JSON")
		}
		return fn(raw.unit())
	})
}

// rawUnit is the common part of a stream line.
type rawUnit struct {
	Type         string         `json:"type"`
	Path         []string       `json:"path"`
	Cap          string         `json:"cap"`
	StorageIndex string         `json:"storage-index"`
	Stats        map[string]any `json:"stats"`
}

func (r rawUnit) unit() ManifestUnit {
	c, _ := ParseCap(r.Cap)
	return ManifestUnit{Type: r.Type, Path: r.Path, Cap: c, StorageIndex: r.StorageIndex, Stats: r.Stats}
}

// maxLine bounds one stream line (the stats line holds a histogram).
const maxLine = 16 << 20

func (c *Client) stream(ctx context.Context, op string, root Cap, q url.Values, each func([]byte) error) error {
	if !root.IsDir() {
		return &Error{Op: op, Err: fmt.Errorf("%w: a walk starts at a directory", ErrBadCap), final: true}
	}
	return c.do(ctx, &call{
		op: op, method: http.MethodPost, path: capPath(root), query: q, stream: true,
		read: func(r io.Reader) error { return readLines(r, each) },
	})
}

// readLines feeds each JSON line to each, stops at "ERROR:", and insists
// on a final stats line.
func readLines(r io.Reader, each func([]byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var last []string
	sawStats := false
	for {
		line, err := readLine(br)
		if len(line) > 0 {
			if bytes.HasPrefix(line, []byte("ERROR:")) {
				return &StreamError{Path: last, Msg: bodyMessage(string(bytes.TrimPrefix(line, []byte("ERROR:"))))}
			}
			var peek rawUnit
			if decodeJSON(line, &peek) == nil {
				last, sawStats = peek.Path, peek.Type == "stats"
			}
			if ferr := each(line); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			if !sawStats {
				return ErrTruncated
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readLine returns one line without its newline, refusing huge lines.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLine {
			return nil, errors.New("stream line too long")
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimRight(line, "\r\n"), err
	}
}
