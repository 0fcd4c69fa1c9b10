package direct

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/storageapi"
)

// PutFile uploads an immutable file, as PUT /uri on the node's gateway
// would, and returns its cap: URI:LIT: for at most 55 bytes (no request),
// else URI:CHK:. size is the exact number of bytes open's reader yields,
// or -1 when unknown: content longer than one segment is then spooled to
// a 0600 file in Options.SpoolDir (putSpooled).
//
// open is called once per pass over the content (the convergent key
// needs one, the encoding another; a file of at most one segment is read
// once into memory) and every reader is closed. Errors from open and from
// reading are wrapped, so errors.Is and errors.As find them.
func (c *Client) PutFile(ctx context.Context, open func() (io.ReadCloser, error), size int64) (string, error) {
	if size < 0 {
		return c.putSpooled(ctx, open)
	}
	if size <= chk.MaxLITSize {
		data, err := readAll(open, size)
		if err != nil {
			return "", err
		}
		return chk.LITURI(data), nil
	}
	capv, err := c.putCHK(ctx, open, size)
	if err != nil {
		return "", err
	}
	return capv.URI(), nil
}

// putCHK stores content of size bytes (more than 55) and returns its cap.
func (c *Client) putCHK(ctx context.Context, open func() (io.ReadCloser, error), size int64) (chk.Cap, error) {
	if err := c.start(ctx); err != nil {
		return chk.Cap{}, err
	}
	if size <= int64(c.segmentLimit()) {
		data, err := readAll(open, size)
		if err != nil {
			return chk.Cap{}, err
		}
		return c.putBytes(ctx, data)
	}
	return c.putLarge(ctx, open, size)
}

// segmentLimit is the largest content encoded in memory: one segment.
func (c *Client) segmentLimit() int {
	if c.params.MaxSegmentSize > 0 {
		return c.params.MaxSegmentSize
	}
	return chk.DefaultMaxSegmentSize
}

// putBytes encodes data in memory and stores its shares.
func (c *Client) putBytes(ctx context.Context, data []byte) (chk.Cap, error) {
	enc, err := chk.Encode(c.node.Convergence.Bytes(), c.params, data)
	if err != nil {
		return chk.Cap{}, fmt.Errorf("direct: %w", err)
	}
	if err := c.waitObject(ctx); err != nil {
		return chk.Cap{}, err
	}
	return enc.Cap, c.storeShares(ctx, enc)
}

// storeShares places and writes the shares of an object encoded in
// memory: each write is a whole share (one request when it fits a chunk),
// all at once; a share refused by one server goes to another.
func (c *Client) storeShares(ctx context.Context, enc *chk.Encoded) error {
	si := storageapi.StorageIndex(enc.StorageIndex)
	p := c.newPlacement(ctx, si, int64(len(enc.Shares[0])))
	p.place(ctx, func(ctx context.Context) {
		p.each(ctx, p.ours, func(ctx context.Context, sp spot) {
			err := sp.s.c.WriteShare(ctx, si, sp.sh, c.node.UploadSecret(si, sp.s.info), enc.Shares[sp.sh])
			if err != nil {
				p.drop(ctx, sp, err)
				return
			}
			p.wrote(sp)
		})
	})
	if err := ctx.Err(); err != nil {
		p.release(ctx)
		return err
	}
	if err := p.enough(); err != nil {
		p.release(ctx)
		return err
	}
	return nil
}

// readAll reads exactly size bytes of content.
func readAll(open func() (io.ReadCloser, error), size int64) ([]byte, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data := make([]byte, size)
	if n, err := io.ReadFull(rc, data); err != nil {
		return nil, fmt.Errorf("direct: reading the content: got %d of %d bytes: %w", n, size, err)
	}
	return data, nil
}

// putSpooled stores content of unknown size. Content of at most one
// segment (xz output of a small file, the common case) is kept in memory
// and encoded from there; only longer content goes by way of a spool file
// (docs/direct.md, Content of unknown size).
func (c *Client) putSpooled(ctx context.Context, open func() (io.ReadCloser, error)) (string, error) {
	rc, err := open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	var head bytes.Buffer // grows with the content, up to one segment and a byte
	limit := int64(c.segmentLimit())
	if _, err := head.ReadFrom(io.LimitReader(rc, limit+1)); err != nil {
		return "", fmt.Errorf("direct: reading the content: %w", err)
	}
	if int64(head.Len()) <= limit {
		return c.PutFile(ctx, memReader(head.Bytes()), int64(head.Len()))
	}
	return c.putThroughFile(ctx, io.MultiReader(&head, rc))
}

// putThroughFile spools r to a 0600 file in Options.SpoolDir, unlinked at
// once so that nothing is left behind whatever happens, and stores it
// from there.
func (c *Client) putThroughFile(ctx context.Context, r io.Reader) (string, error) {
	f, err := os.CreateTemp(c.opts.SpoolDir, ".lafs-backup-spool-*")
	if err != nil {
		return "", fmt.Errorf("direct: spool file: %w", err)
	}
	os.Remove(f.Name()) // the open file lives on, unnamed, until closed
	defer f.Close()
	n, err := io.Copy(f, r)
	if err != nil {
		return "", fmt.Errorf("direct: spooling the content: %w", err)
	}
	reopen := func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(f, 0, n)), nil }
	return c.PutFile(ctx, reopen, n)
}

// memReader is content already in memory, for Mkdir.
func memReader(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}
