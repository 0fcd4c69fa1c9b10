package lafsapi

import (
	"context"
	"io"
	"time"

	"golang.org/x/time/rate"
)

// watchdog cancels an attempt when no bytes have moved for a while.
type watchdog struct {
	t *time.Timer
}

// newWatchdog arms a watchdog; idle < 0 gives one that never fires.
func newWatchdog(idle time.Duration, cancel context.CancelCauseFunc) *watchdog {
	if idle < 0 {
		return nil
	}
	return &watchdog{t: time.AfterFunc(idle, func() { cancel(ErrIdleTimeout) })}
}

// kick pushes the deadline to d from now.
func (w *watchdog) kick(d time.Duration) {
	if w != nil {
		w.t.Reset(d)
	}
}

// pause stops the deadline (while we throttle ourselves).
func (w *watchdog) pause() {
	if w != nil {
		w.t.Stop()
	}
}

func (w *watchdog) stop() { w.pause() }

// watchedReader kicks the watchdog on every read of a response body.
type watchedReader struct {
	r    io.Reader
	wd   *watchdog
	idle time.Duration
}

func (r *watchedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.wd.kick(r.idle)
	}
	return n, err
}

// bodyReader is a request body that kicks the watchdog as bytes are taken,
// waits on the byte limiter in pieces no larger than its burst, and at EOF
// grants the gateway the size allowance to store the shares.
type bodyReader struct {
	ctx   context.Context
	rc    io.ReadCloser
	wd    *watchdog
	idle  time.Duration
	perGi time.Duration
	lim   *rate.Limiter
	sent  int64
}

func (c *Client) bodyReader(ctx context.Context, rc io.ReadCloser, cl *call, wd *watchdog) io.ReadCloser {
	b := &bodyReader{ctx: ctx, rc: rc, wd: wd, idle: c.opts.IdleTimeout, perGi: c.opts.PerGiB}
	if cl.bytes && c.opts.Bytes != nil && c.opts.Bytes.Limit() != rate.Inf {
		b.lim = c.opts.Bytes
	}
	return b
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.lim != nil && len(p) > b.lim.Burst() {
		p = p[:b.lim.Burst()]
	}
	n, err := b.rc.Read(p)
	if n > 0 {
		b.sent += int64(n)
		if b.lim != nil {
			b.wd.pause()
			if werr := b.lim.WaitN(b.ctx, n); werr != nil {
				return 0, werr
			}
		}
		b.wd.kick(b.idle)
	}
	if err == io.EOF {
		b.wd.kick(b.idle + allowance(b.perGi, b.sent))
	}
	return n, err
}

func (b *bodyReader) Close() error { return b.rc.Close() }

// allowance is perGiB scaled to n bytes.
func allowance(perGiB time.Duration, n int64) time.Duration {
	return time.Duration(float64(perGiB) * float64(n) / (1 << 30))
}
