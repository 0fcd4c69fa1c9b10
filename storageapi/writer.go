package storageapi

import (
	"context"
	"fmt"
)

// ShareWriter streams one allocated share to the server in chunks of
// Options.ChunkSize: Write buffers, each full chunk is sent as one PATCH,
// Close sends the rest and checks that the server counts the share
// complete. Memory stays at one chunk whatever the share's size. After an
// error every call returns it; the caller aborts the share or retries the
// whole share later with the same upload secret.
type ShareWriter struct {
	ctx    context.Context
	c      *Client
	si     StorageIndex
	shnum  int
	upload Secret
	buf    []byte
	off    int64 // share offset of buf[0]
	last   Progress
	err    error
}

// NewShareWriter starts writing share shnum of si at offset 0.
func (c *Client) NewShareWriter(ctx context.Context, si StorageIndex, shnum int, upload Secret) *ShareWriter {
	return &ShareWriter{ctx: ctx, c: c, si: si, shnum: shnum, upload: upload}
}

// Write buffers p, sending every full chunk.
func (w *ShareWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	size := w.c.opts.ChunkSize
	for len(p) > 0 {
		if len(w.buf) == 0 && len(p) >= size {
			// A whole chunk straight from p, without copying.
			if err := w.send(p[:size]); err != nil {
				return 0, err
			}
			p = p[size:]
			continue
		}
		k := min(size-len(w.buf), len(p))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == size {
			if err := w.send(w.buf); err != nil {
				return 0, err
			}
			w.buf = w.buf[:0]
		}
	}
	return n, nil
}

func (w *ShareWriter) send(chunk []byte) error {
	p, err := w.c.WriteChunk(w.ctx, w.si, w.shnum, w.upload, w.off, chunk)
	if err != nil {
		w.err = err
		return err
	}
	w.off += int64(len(chunk))
	w.last = p
	return nil
}

// Send writes p now, after anything Write has buffered, in requests of at
// most the chunk size and without copying it: for a caller that
// assembles whole chunks in buffers of its own and reuses them once Send
// returns (docs/direct.md, Writing and memory).
func (w *ShareWriter) Send(p []byte) error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) > 0 {
		if err := w.send(w.buf); err != nil {
			return err
		}
		w.buf = w.buf[:0]
	}
	for len(p) > 0 {
		k := min(len(p), w.c.opts.ChunkSize)
		if err := w.send(p[:k]); err != nil {
			return err
		}
		p = p[k:]
	}
	return nil
}

// ChunkSize is the most share bytes one write request carries
// (Options.ChunkSize).
func (c *Client) ChunkSize() int { return c.opts.ChunkSize }

// Written is the number of bytes the server has accepted.
func (w *ShareWriter) Written() int64 { return w.off }

// Close sends what is buffered and fails unless the share is complete.
func (w *ShareWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) > 0 {
		if err := w.send(w.buf); err != nil {
			return err
		}
		w.buf = nil
	}
	if !w.last.Done {
		w.err = &Error{Server: w.c.name, Op: "write",
			Err: fmt.Errorf("%w: share incomplete after %d bytes (still missing %v)", ErrBadResponse, w.off, w.last.Required)}
		return w.err
	}
	return nil
}
