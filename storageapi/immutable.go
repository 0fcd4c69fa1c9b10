package storageapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
)

// LeaseSecrets are the renew and cancel secrets of a lease: 32 bytes each.
// Package tahoenode derives the ones a Tahoe gateway would use.
type LeaseSecrets struct{ Renew, Cancel Secret }

func (l LeaseSecrets) headers() ([]secretHeader, error) {
	if l.Renew.Len() != 32 || l.Cancel.Len() != 32 {
		return nil, errors.New("lease secrets must be 32 bytes")
	}
	return []secretHeader{{"lease-renew-secret", l.Renew}, {"lease-cancel-secret", l.Cancel}}, nil
}

// Allocation is the server's answer to Allocate.
type Allocation struct {
	// AlreadyHave: complete shares the server holds for the storage index
	// (all of them, not only those asked for). Their leases were renewed
	// (or added) with the allocation's lease secrets.
	AlreadyHave []int
	// Allocated: new, empty shares to write with the upload secret.
	Allocated []int
	// Busy: asked for but in neither list. Either an upload of that share
	// is in progress (ours, after a crash or a retried Allocate whose
	// answer was lost: WriteShare with the same upload secret resumes it
	// and Abort ends it; another client's: both give ErrUnauthorized), or
	// the server has no room for it (both give ErrNotFound).
	Busy []int
}

func (c *Client) sharePath(si StorageIndex, shnum int) string {
	return "/storage/v1/immutable/" + si.String() + "/" + strconv.Itoa(shnum)
}

// Allocate asks the server to hold shares of si, each exactly size bytes
// (the server counts a share complete when size bytes are written). The
// upload secret authorises writing and aborting them; see
// docs/storage-protocol.md for what a repeated Allocate does.
func (c *Client) Allocate(ctx context.Context, si StorageIndex, shares []int, size int64,
	lease LeaseSecrets, upload Secret) (Allocation, error) {
	var a Allocation
	hs, err := lease.headers()
	if err == nil && upload.IsZero() {
		err = errors.New("no upload secret")
	}
	if err == nil {
		err = checkShares(shares, size)
	}
	if err != nil {
		return a, &Error{Server: c.name, Op: "allocate", Err: err}
	}
	if c.opts.Objects != nil {
		if err := c.opts.Objects.Wait(ctx); err != nil {
			return a, &Error{Server: c.name, Op: "allocate", Err: err}
		}
	}
	var e cborEncoder
	e.mapOf(2)
	e.text("share-numbers")
	e.set(shares)
	e.text("allocated-size")
	e.uint(uint64(size))
	err = c.do(ctx, &request{
		op: "allocate", method: http.MethodPost, path: "/storage/v1/immutable/" + si.String(),
		secrets: append(hs, secretHeader{"upload-secret", upload}),
		body:    e.b, ctype: cborType, ok: []int{http.StatusOK},
		read: func(resp *http.Response) error {
			a, err = parseAllocation(resp, shares)
			return err
		},
	})
	return a, err
}

func checkShares(shares []int, size int64) error {
	if len(shares) == 0 {
		return errors.New("no share numbers")
	}
	for _, n := range shares {
		if n < 0 || n > 255 {
			return fmt.Errorf("share number %d out of range 0-255", n)
		}
	}
	if size <= 0 {
		return errors.New("share size must be positive")
	}
	return nil
}

func parseAllocation(resp *http.Response, asked []int) (Allocation, error) {
	var a Allocation
	raw, err := readCBOR(resp, 64<<10)
	if err != nil {
		return a, err
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return a, fmt.Errorf("%w: allocation is not a map", ErrBadResponse)
	}
	if a.AlreadyHave, err = shareSet(m["already-have"], "already-have"); err != nil {
		return a, err
	}
	if a.Allocated, err = shareSet(m["allocated"], "allocated"); err != nil {
		return a, err
	}
	for _, n := range asked {
		if !slices.Contains(a.AlreadyHave, n) && !slices.Contains(a.Allocated, n) && !slices.Contains(a.Busy, n) {
			a.Busy = append(a.Busy, n)
		}
	}
	slices.Sort(a.Busy)
	return a, nil
}

// Range is a half-open byte range [Begin, End) of a share.
type Range struct{ Begin, End int64 }

// Progress is the server's answer to a write.
type Progress struct {
	Done     bool    // the share is complete (the server answered 201)
	Required []Range // what is still missing
}

// WriteChunk writes data at offset into an allocated share. Writing the
// same bytes again is harmless (a retry, or a resume after a crash);
// different bytes where some were written give ErrConflict, after which
// the share must be aborted.
func (c *Client) WriteChunk(ctx context.Context, si StorageIndex, shnum int, upload Secret,
	offset int64, data []byte) (Progress, error) {
	var p Progress
	if len(data) == 0 || offset < 0 {
		return p, &Error{Server: c.name, Op: "write", Err: errors.New("empty chunk or negative offset")}
	}
	r := &request{
		op: "write", method: http.MethodPatch, path: c.sharePath(si, shnum),
		secrets: []secretHeader{{"upload-secret", upload}},
		body:    data, ctype: "application/octet-stream", bytes: true,
		header: http.Header{"Content-Range": {fmt.Sprintf("bytes %d-%d/*", offset, offset+int64(len(data))-1)}},
		ok:     []int{http.StatusOK, http.StatusCreated},
		read: func(resp *http.Response) error {
			var err error
			p, err = parseProgress(resp)
			return err
		},
	}
	err := c.do(ctx, r)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound && e.Attempts > 1 {
		// An earlier attempt may have completed the share, and a complete
		// share is no longer an upload in progress: look.
		if have, lerr := c.ListShares(ctx, si); lerr == nil && slices.Contains(have, shnum) {
			return Progress{Done: true}, nil
		}
	}
	return p, err
}

func parseProgress(resp *http.Response) (Progress, error) {
	p := Progress{Done: resp.StatusCode == http.StatusCreated}
	raw, err := readCBOR(resp, 1<<20)
	if err != nil {
		return p, err
	}
	m, ok := raw.(map[string]any)
	req, ok2 := m["required"].([]any)
	if !ok || !ok2 {
		return p, fmt.Errorf("%w: write answer lacks required", ErrBadResponse)
	}
	for _, x := range req {
		r, ok := x.(map[string]any)
		b, ok1 := r["begin"].(uint64)
		e, ok2 := r["end"].(uint64)
		if !ok || !ok1 || !ok2 || b > e {
			return p, fmt.Errorf("%w: bad required range", ErrBadResponse)
		}
		p.Required = append(p.Required, Range{int64(b), int64(e)})
	}
	return p, nil
}

// WriteShare writes a whole share from offset 0 in chunks of at most
// Options.ChunkSize (one request for a small share) and fails unless the
// server then counts it complete.
func (c *Client) WriteShare(ctx context.Context, si StorageIndex, shnum int, upload Secret, data []byte) error {
	w := c.NewShareWriter(ctx, si, shnum, upload)
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.Close()
}

// Abort ends an upload in progress: the server forgets its bytes and its
// allocation. ErrNotAllowed: the share is complete; ErrNotFound: no such
// upload; ErrUnauthorized: it was allocated with another upload secret.
func (c *Client) Abort(ctx context.Context, si StorageIndex, shnum int, upload Secret) error {
	return c.do(ctx, &request{
		op: "abort", method: http.MethodPut, path: c.sharePath(si, shnum) + "/abort",
		secrets: []secretHeader{{"upload-secret", upload}}, ok: []int{http.StatusOK},
	})
}

// ListShares returns the complete shares the server holds for si, sorted
// (none: an empty list, not an error).
func (c *Client) ListShares(ctx context.Context, si StorageIndex) ([]int, error) {
	var out []int
	err := c.do(ctx, &request{
		op: "list", method: http.MethodGet, path: "/storage/v1/immutable/" + si.String() + "/shares",
		ok: []int{http.StatusOK},
		read: func(resp *http.Response) error {
			raw, err := readCBOR(resp, 64<<10)
			if err == nil {
				out, err = shareSet(raw, "share list")
			}
			return err
		},
	})
	return out, err
}

// ReadShare reads up to length bytes of a complete share from offset;
// fewer near the end, none at or past it.
func (c *Client) ReadShare(ctx context.Context, si StorageIndex, shnum int, offset, length int64) ([]byte, error) {
	if offset < 0 || length <= 0 {
		return nil, &Error{Server: c.name, Op: "read", Err: errors.New("bad range")}
	}
	var out []byte
	err := c.do(ctx, &request{
		op: "read", method: http.MethodGet, path: c.sharePath(si, shnum),
		header: http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", offset, offset+length-1)}},
		ok:     []int{http.StatusPartialContent, http.StatusNoContent},
		read: func(resp *http.Response) error {
			var err error
			out, err = io.ReadAll(io.LimitReader(resp.Body, length))
			return err
		},
	})
	return out, err
}

// AddLease renews the lease whose renew secret matches, on every share of
// si on this server, for 31 days from now, or adds a lease with these
// secrets. ErrNotFound: the server holds no share of si.
func (c *Client) AddLease(ctx context.Context, si StorageIndex, lease LeaseSecrets) error {
	hs, err := lease.headers()
	if err != nil {
		return &Error{Server: c.name, Op: "add-lease", Err: err}
	}
	return c.do(ctx, &request{
		op: "add-lease", method: http.MethodPut, path: "/storage/v1/lease/" + si.String(),
		secrets: hs, ok: []int{http.StatusNoContent},
	})
}
