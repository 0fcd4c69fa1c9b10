package lafsapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxCapBody bounds a response that should hold one cap.
const maxCapBody = 4 << 10

// UploadFile stores content as an immutable file (PUT /uri, CHK; the
// gateway answers with a LIT cap for at most 55 bytes) and returns its cap.
// open is called for every attempt and must return the content from its
// start; size is its length, or -1 when unknown (sent chunked). The body is
// streamed, never buffered whole.
func (c *Client) UploadFile(ctx context.Context, open func() (io.ReadCloser, error), size int64) (Cap, error) {
	var got Cap
	err := c.do(ctx, &call{
		op: "upload", method: http.MethodPut, path: "uri",
		open: open, size: size, bytes: true, object: true,
		read: readCap(&got, func(c Cap) bool { return !c.IsDir() && c.IsImmutable() }),
	})
	return got, err
}

// UploadBytes is UploadFile for content already in memory.
func (c *Client) UploadBytes(ctx context.Context, data []byte) (Cap, error) {
	return c.UploadFile(ctx, func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, int64(len(data)))
}

// readCap returns a read func that parses a cap body into dst and checks
// its kind.
func readCap(dst *Cap, want func(Cap) bool) func(io.Reader) error {
	return func(r io.Reader) error {
		data, err := io.ReadAll(io.LimitReader(r, maxCapBody))
		if err != nil {
			return err
		}
		c, err := ParseCap(string(data))
		if err != nil {
			return fmt.Errorf("gateway answered with something other than a cap: %w", err)
		}
		if !want(c) {
			return fmt.Errorf("gateway answered with a %s cap, not the kind asked for", c.Kind())
		}
		*dst = c
		return nil
	}
}

// Download returns the content of the file c (GET /uri/CAP). The caller
// must close the reader. A LIT cap is decoded locally without a request.
// Retries happen only until the gateway starts answering.
func (c *Client) Download(ctx context.Context, fc Cap) (io.ReadCloser, error) {
	if err := checkCap("download", fc); err != nil {
		return nil, err
	}
	if data, ok := fc.LITData(); ok {
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	var out io.ReadCloser
	err := c.do(ctx, &call{
		op: "download", method: http.MethodGet, path: capPath(fc),
		keep: func(resp *http.Response, done func()) {
			out = &handedBody{rc: resp.Body, done: done}
		},
	})
	return out, err
}

// handedBody ends the attempt's context when the caller closes it.
type handedBody struct {
	rc   io.ReadCloser
	done func()
}

func (h *handedBody) Read(p []byte) (int, error) {
	n, err := h.rc.Read(p)
	if err != nil && err != io.EOF {
		err = errors.New(RedactCaps("lafsapi: download: " + err.Error()))
	}
	return n, err
}

func (h *handedBody) Close() error {
	err := h.rc.Close()
	h.done()
	return err
}

// checkCap refuses a zero cap before anything is sent.
func checkCap(op string, c Cap) error {
	if c.IsZero() {
		return &Error{Op: op, Err: fmt.Errorf("%w: empty", ErrBadCap), final: true}
	}
	return nil
}
