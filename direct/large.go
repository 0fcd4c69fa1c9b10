package direct

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
	"github.com/lafs-backup/lafs-backup/storageapi"
)

// putLarge stores content of more than one segment: a first pass for the
// key, then shares placed, then a second pass that encodes segment by
// segment and streams each share to its server (docs/direct.md, Writing and memory).
// An attempt that lost servers on the way and fell short of happiness is
// made again (those shares that were completed count), up to
// Options.Attempts times.
func (c *Client) putLarge(ctx context.Context, open func() (io.ReadCloser, error), size int64) (chk.Cap, error) {
	key, err := c.key(open, size)
	if err != nil {
		return chk.Cap{}, err
	}
	if err := c.waitObject(ctx); err != nil {
		return chk.Cap{}, err
	}
	attempts := max(c.opts.Attempts, 1)
	if c.opts.Attempts == 0 {
		attempts = 4
	}
	for n := 1; ; n++ {
		capv, lost, err := c.stream(ctx, key, open, size)
		if err == nil || !lost || n >= attempts || ctx.Err() != nil {
			return capv, err
		}
		c.log.Warn("direct: servers lost during an upload; placing its shares again", "attempt", n, "err", err)
	}
}

// key is the first pass: the convergent key of the content.
func (c *Client) key(open func() (io.ReadCloser, error), size int64) ([tahoehash.KeySize]byte, error) {
	rc, err := open()
	if err != nil {
		return [tahoehash.KeySize]byte{}, err
	}
	defer rc.Close()
	key, err := chk.ConvergentKey(c.node.Convergence.Bytes(), c.params, size, rc)
	if err != nil {
		return key, fmt.Errorf("direct: %w", err)
	}
	return key, nil
}

// stream is one attempt of the second pass; lost says whether a server
// failed during it (so that another attempt may do better).
func (c *Client) stream(ctx context.Context, key [tahoehash.KeySize]byte, open func() (io.ReadCloser, error),
	size int64) (chk.Cap, bool, error) {
	e, err := chk.NewEncoder(key, c.params, size)
	if err != nil {
		return chk.Cap{}, false, fmt.Errorf("direct: %w", err)
	}
	si := storageapi.StorageIndex(e.StorageIndex())
	p := c.newPlacement(ctx, si, e.ShareSize())
	header := e.Header().Data[0]
	p.place(ctx, func(ctx context.Context) {
		// A share in progress is ours to finish if our secret may write it.
		p.each(ctx, p.busy, func(ctx context.Context, sp spot) {
			if _, err := sp.s.c.WriteChunk(ctx, si, sp.sh, c.node.UploadSecret(si, sp.s.info), 0, header); err != nil {
				p.drop(ctx, sp, err)
				return
			}
			p.settle(func() { delete(p.busy, sp) })
		})
	})
	if err := ctx.Err(); err != nil {
		p.release(ctx)
		return chk.Cap{}, false, err
	}
	if h := happiness(p.placed()); h < c.node.Happy {
		p.release(ctx)
		return chk.Cap{}, len(p.bad) > 0, p.shortError(h)
	}
	capv, err := c.send(ctx, p, e, open)
	if err != nil {
		p.release(ctx)
		return chk.Cap{}, len(p.bad) > 0, err
	}
	return capv, false, nil
}

// send encodes the content and streams every share of ours to its server:
// one goroutine per share fed one segment's block at a time, so memory
// stays at about two segments' blocks plus a chunk per share.
func (c *Client) send(ctx context.Context, p *placement, e *chk.Encoder, open func() (io.ReadCloser, error)) (chk.Cap, error) {
	rc, err := open()
	if err != nil {
		return chk.Cap{}, err
	}
	defer rc.Close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	streams := c.startStreams(sctx, p)
	capv, err := c.encodeInto(bufio.NewReaderSize(rc, 64<<10), p, e, streams)
	if err != nil {
		cancel() // the shares stay incomplete; the caller aborts them
	}
	for _, st := range streams {
		close(st.ch)
	}
	for _, st := range streams {
		werr := <-st.done
		switch {
		case err != nil:
		case werr != nil:
			p.drop(ctx, st.sp, werr)
		default:
			p.wrote(st.sp)
		}
	}
	if err != nil {
		return chk.Cap{}, err
	}
	return capv, p.enough()
}

// shareStream is one share being sent.
type shareStream struct {
	sp     spot
	ch     chan []byte
	done   chan error
	failed atomic.Bool
}

func (c *Client) startStreams(ctx context.Context, p *placement) []*shareStream {
	var out []*shareStream
	for _, sp := range p.ours.sorted() {
		st := &shareStream{sp: sp, ch: make(chan []byte, 1), done: make(chan error, 1)}
		w := sp.s.c.NewShareWriter(ctx, p.si, sp.sh, c.node.UploadSecret(p.si, sp.s.info))
		go func() {
			var err error
			for b := range st.ch { // drained to the end even after an error
				if err == nil {
					if _, err = w.Write(b); err != nil {
						st.failed.Store(true)
						sp.s.failed(err)
					}
				}
			}
			if err == nil {
				err = w.Close()
			}
			st.done <- err
		}()
		out = append(out, st)
	}
	return out
}

// encodeInto runs the encoder over r, handing each share its pieces in
// order: header, blocks, trailer. It gives up early once the shares still
// being written can no longer reach shares.happy.
func (c *Client) encodeInto(r io.Reader, p *placement, e *chk.Encoder, streams []*shareStream) (chk.Cap, error) {
	h := e.Header()
	for _, st := range streams {
		st.ch <- h.Data[st.sp.sh]
	}
	for range e.Segments() {
		w, err := e.EncodeSegment(r)
		if err != nil {
			return chk.Cap{}, fmt.Errorf("direct: %w", err)
		}
		if err := p.stillEnough(streams); err != nil {
			return chk.Cap{}, err
		}
		for _, st := range streams {
			st.ch <- w.Data[st.sp.sh]
		}
	}
	capv, err := e.Finish()
	if err != nil {
		return chk.Cap{}, fmt.Errorf("direct: %w", err)
	}
	for _, st := range streams {
		st.ch <- e.Trailer(st.sp.sh)
	}
	return capv, nil
}

// stillEnough reports whether the shares stored and those still being
// written reach shares.happy.
func (p *placement) stillEnough(streams []*shareStream) error {
	alive := spots{}
	for _, st := range streams {
		if !st.failed.Load() {
			alive[st.sp] = true
		}
	}
	var h int
	p.settle(func() { h = happiness(union(p.complete(), alive.byShare())) })
	if h >= p.c.node.Happy {
		return nil
	}
	return p.shortError(h)
}
