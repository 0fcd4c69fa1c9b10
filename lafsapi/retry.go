package lafsapi

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// retryDelay is the wait before retry number n (1 = the first retry):
// Delays[n-1] (the last repeats) when given, else BaseDelay·2^(n-1) capped
// at MaxDelay, with "equal jitter" (a random point in its upper half).
func (o *Options) retryDelay(n int) time.Duration {
	if len(o.Delays) > 0 {
		return o.Delays[min(n-1, len(o.Delays)-1)]
	}
	d := o.BaseDelay
	for i := 1; i < n && d < o.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, o.MaxDelay)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retry runs attempt until it succeeds, fails finally, or the attempts run
// out. attempt reports an *Error (without Attempts) or nil.
func (c *Client) retry(ctx context.Context, op string, attempt func(n int) *Error) error {
	reconnected := false // an earlier attempt could not reach the gateway
	for n := 1; ; n++ {
		e := attempt(n)
		if e == nil {
			return nil
		}
		restarting := reconnected && e.Status == http.StatusInternalServerError
		reconnected = reconnected || (e.Status == 0 && e.Err != nil)
		e.Op, e.Attempts = op, n
		if ctx.Err() != nil {
			// The caller stopped: say so whatever the last attempt got
			// (its answer may have arrived just as the caller cancelled).
			switch {
			case e.Status == 0 || e.Err == nil:
				e.Err = ctx.Err()
			case !errors.Is(e.Err, ctx.Err()):
				e.Err = fmt.Errorf("%w; %w", e.Err, ctx.Err())
			}
			return e
		}
		// A gateway that has just restarted answers 500 (an assertion in
		// its uploader) until it has reconnected to the storage servers:
		// after a network error, a 500 is worth another attempt.
		if e.final || !(retryable(e.Status, e.Err) || restarting) || n >= c.opts.Attempts {
			return e
		}
		d := c.opts.retryDelay(n)
		c.log.Warn("lafsapi: retrying", "op", op, "attempt", n, "of", c.opts.Attempts,
			"delay", d, "err", e.Error())
		if err := sleep(ctx, d); err != nil {
			e.Err = err
			return e
		}
	}
}
