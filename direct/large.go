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
	// One large file streams at a time (docs/direct.md, Writing and memory).
	select {
	case c.streaming <- struct{}{}:
		defer func() { <-c.streaming }()
	case <-ctx.Done():
		return chk.Cap{}, false, ctx.Err()
	}
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
// one goroutine per share, fed each segment's block. The blocks live in a
// few segment buffers that go round (a new segment waits for a free one),
// and each goroutine copies its blocks into one chunk buffer of its own,
// so that memory per upload is fixed, about two chunks per share, and no
// garbage is made per segment (docs/direct.md, Writing and memory).
func (c *Client) send(ctx context.Context, p *placement, e *chk.Encoder, open func() (io.ReadCloser, error)) (chk.Cap, error) {
	rc, err := open()
	if err != nil {
		return chk.Cap{}, err
	}
	defer rc.Close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ours := p.ours.sorted()
	chunk := 1 << 20
	if len(ours) > 0 {
		chunk = ours[0].s.c.ChunkSize()
	}
	ring := c.bufs.ring(c.params.Total, e.BlockSize(), chunk)
	defer c.bufs.putRing(ring)
	streams := c.startStreams(sctx, p, ours, chunk, len(ring.free))
	capv, err := c.encodeInto(sctx, bufio.NewReaderSize(rc, 64<<10), p, e, streams, ring)
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
	ch     chan piece
	done   chan error
	failed atomic.Bool
}

// piece is the next bytes of a share: the header, a block of seg, or the
// trailer (seg nil).
type piece struct {
	b   []byte
	seg *segment
}

// startStreams starts one goroutine per share of ours. Each assembles
// chunks of the server's chunk size in a buffer of its own and sends each
// as soon as it is full; a block is let go (its segment buffer freed once
// every share has it) as soon as it is copied, before the chunk it
// completes is sent, so that the encoder can fill that buffer meanwhile.
func (c *Client) startStreams(ctx context.Context, p *placement, ours []spot, chunk, depth int) []*shareStream {
	var out []*shareStream
	for _, sp := range ours {
		// room for every segment buffer's block, the header and the trailer
		st := &shareStream{sp: sp, ch: make(chan piece, depth+2), done: make(chan error, 1)}
		w := sp.s.c.NewShareWriter(ctx, p.si, sp.sh, c.node.UploadSecret(p.si, sp.s.info))
		go func() {
			buf := c.bufs.chunk(chunk)
			var err error
			send := func() {
				if err = w.Send(buf); err != nil {
					st.failed.Store(true)
					sp.s.failed(err)
				}
				buf = buf[:0]
			}
			for pc := range st.ch { // drained to the end even after an error
				b := pc.b
				for err == nil && len(b) > 0 {
					k := copy(buf[len(buf):cap(buf)], b)
					buf, b = buf[:len(buf)+k], b[k:]
					if len(buf) == cap(buf) {
						if len(b) == 0 {
							pc.seg.release()
							pc.seg = nil
						}
						send()
					}
				}
				pc.seg.release()
			}
			if err == nil && len(buf) > 0 {
				send()
			}
			if err == nil {
				err = w.Close()
			}
			c.bufs.putChunk(buf)
			st.done <- err
		}()
		out = append(out, st)
	}
	return out
}

// encodeInto runs the encoder over r, handing each share its pieces in
// order: header, blocks, trailer. It gives up early once the shares still
// being written can no longer reach shares.happy.
func (c *Client) encodeInto(ctx context.Context, r io.Reader, p *placement, e *chk.Encoder,
	streams []*shareStream, ring *ring) (chk.Cap, error) {
	h := e.Header()
	for _, st := range streams {
		st.ch <- piece{b: h.Data[st.sp.sh]}
	}
	for range e.Segments() {
		var seg *segment
		select {
		case seg = <-ring.free:
		case <-ctx.Done():
			return chk.Cap{}, ctx.Err()
		}
		w, err := e.EncodeSegmentInto(r, seg.blocks)
		if err != nil {
			ring.free <- seg
			return chk.Cap{}, fmt.Errorf("direct: %w", err)
		}
		if err := p.stillEnough(streams); err != nil {
			ring.free <- seg
			return chk.Cap{}, err
		}
		seg.refs.Store(int32(len(streams)))
		if len(streams) == 0 {
			ring.free <- seg
		}
		for _, st := range streams {
			st.ch <- piece{b: w.Data[st.sp.sh], seg: seg}
		}
	}
	capv, err := e.Finish()
	if err != nil {
		return chk.Cap{}, fmt.Errorf("direct: %w", err)
	}
	for _, st := range streams {
		st.ch <- piece{b: e.Trailer(st.sp.sh)}
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
