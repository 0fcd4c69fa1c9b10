package lafsapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// The retry policy (docs/lafsapi.md, Retries) tells two situations apart:
//
//   - an isolated failure: the gateway answered some request successfully
//     within AliveWindow, or since this call began failing. It is retried
//     after a short backoff of its own (QuickDelay doubling, capped at
//     maxQuickDelay), up to QuickRetries times per call, and does not use
//     up the configured schedule. When those run out while other requests
//     keep succeeding, the request fails on its own (the content, not the
//     grid, is the problem: e.g. storage servers refusing an upload whose
//     interrupted twin still holds its shares) and the call ends;
//   - refused content (ErrRefused: the gateway reached enough storage
//     servers and they would not take this object): the quick retries
//     (whatever the gateway's recent successes), then the call ends; the
//     schedule is for servers that may come back, and these are there;
//   - the grid failing as a whole: no success for AliveWindow and none
//     since the call began failing. Then the configured schedule applies
//     (Delays, or BaseDelay doubling up to MaxDelay), Attempts in all.
//
// So one unlucky request in a storm costs a second or two, while a gateway
// that is really down still gets the long waits before the run gives up.

// maxQuickDelay caps the backoff of isolated failures.
const maxQuickDelay = 10 * time.Second

// health is what the client knows about the gateway as a whole.
type health struct {
	lastOK  atomic.Int64 // unix ns of the last successful request; 0 = none yet
	reached atomic.Bool  // some attempt connected to the gateway
}

func (h *health) succeeded(now time.Time) { h.lastOK.Store(now.UnixNano()) }

// succeededAfter says whether a request succeeded after t.
func (h *health) succeededAfter(t time.Time) bool {
	last := h.lastOK.Load()
	return last != 0 && time.Unix(0, last).After(t)
}

// recent says whether a request succeeded within window of now.
func (h *health) recent(now time.Time, window time.Duration) bool {
	last := h.lastOK.Load()
	return last != 0 && now.Sub(time.Unix(0, last)) < window
}

// retryDelay is the wait before scheduled retry number n (1 = the first):
// Delays[n-1] (the last repeats) when given, else BaseDelay·2^(n-1) capped
// at MaxDelay, with "equal jitter" (a random point in its upper half).
func (o *Options) retryDelay(n int) time.Duration {
	if len(o.Delays) > 0 {
		return o.Delays[min(n-1, len(o.Delays)-1)]
	}
	return jitter(doubled(o.BaseDelay, n, o.MaxDelay))
}

// quickDelay is the wait before isolated retry number n of one call:
// QuickDelay·2^(n-1) capped at maxQuickDelay and at the first scheduled
// delay (an isolated failure never waits longer than a grid failure
// would), with equal jitter.
func (o *Options) quickDelay(n int) time.Duration {
	ceiling := maxQuickDelay
	if len(o.Delays) > 0 {
		ceiling = min(ceiling, o.Delays[0])
	} else {
		ceiling = min(ceiling, o.BaseDelay)
	}
	return jitter(doubled(o.QuickDelay, n, ceiling))
}

// doubled is base·2^(n-1), capped at ceiling.
func doubled(base time.Duration, n int, ceiling time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

// jitter returns a random point in the upper half of d.
func jitter(d time.Duration) time.Duration {
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

// budget counts the retries one call has made of each kind.
type budget struct {
	quick, scheduled, first int
	failing                 time.Time // start of the call's first failed attempt
}

// next decides the wait before the next attempt after a retryable
// failure of an attempt that began at start; ok is false when the call
// has used up its attempts.
func (c *Client) next(b *budget, start time.Time, refused bool) (d time.Duration, quick, ok bool) {
	if c.opts.Attempts <= 1 {
		return 0, false, false
	}
	if b.failing.IsZero() {
		b.failing = start
	}
	others := c.health.succeededAfter(b.failing) // the grid works while this call fails
	if b.quick < c.opts.QuickRetries && (others || refused || c.health.recent(time.Now(), c.opts.AliveWindow)) {
		b.quick++
		return c.opts.quickDelay(b.quick), true, true
	}
	if refused || others && c.opts.QuickRetries > 0 {
		return 0, false, false // this request fails on its own: not the grid's long waits
	}
	if b.scheduled+1 >= c.opts.Attempts {
		return 0, false, false
	}
	b.scheduled++
	return c.opts.retryDelay(b.scheduled), false, true
}

// retry runs attempt until it succeeds, fails finally, or the attempts run
// out. attempt reports an *Error (without Attempts) or nil.
func (c *Client) retry(ctx context.Context, op string, attempt func(n int) *Error) error {
	reconnected := false // an earlier attempt could not reach the gateway
	var b budget
	for n := 1; ; n++ {
		start := time.Now()
		e := attempt(n)
		if e == nil {
			c.health.succeeded(time.Now())
			return nil
		}
		unreachable := e.Status == 0 && isDialErr(e.Err)
		restarting := reconnected && e.Status == http.StatusInternalServerError
		reconnected = reconnected || (e.Status == 0 && e.Err != nil)
		e.Op, e.Attempts = op, n
		if ctx.Err() != nil {
			return callerStopped(ctx, e)
		}
		// A gateway that has just restarted answers 500 (an assertion in
		// its uploader) until it has reconnected to the storage servers:
		// after a network error, a 500 is worth another attempt.
		if e.final || !(retryable(e.Status, e.Err) || restarting) {
			return e
		}
		if unreachable && !c.health.reached.Load() {
			d, ok := c.firstContact(&b)
			if !ok {
				e.unreachable = c.base.Redacted()
				return e
			}
			c.log.Warn("lafsapi: gateway not reachable, retrying", "op", op, "attempt", n, "delay", d, "err", e.Error())
			if err := sleep(ctx, d); err != nil {
				e.Err = err
				return e
			}
			continue
		}
		d, quick, ok := c.next(&b, start, errors.Is(e.Err, ErrRefused))
		if !ok {
			return e
		}
		// Refused content is the caller's to report (the uploader sets it
		// aside and says what became of it): its retries are not warnings.
		level := slog.LevelWarn
		if errors.Is(e.Err, ErrRefused) {
			level = slog.LevelInfo
		}
		c.log.Log(ctx, level, "lafsapi: retrying", "op", op, "attempt", n, "isolated", quick,
			"delay", d, "err", e.Error())
		if err := sleep(ctx, d); err != nil {
			e.Err = err
			return e
		}
	}
}

// firstContact is the wait before the next attempt of a call that could
// not connect to a gateway this client has never reached (docs/lafsapi.md,
// Retries); ok is false when its few attempts, or Attempts, are used up.
func (c *Client) firstContact(b *budget) (d time.Duration, ok bool) {
	if b.first+1 >= c.opts.Attempts || b.first >= len(c.opts.FirstContact) {
		return 0, false
	}
	b.first++
	return c.opts.FirstContact[b.first-1], true
}

// isDialErr reports an attempt that could not connect at all.
func isDialErr(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// callerStopped reports the caller's cancellation whatever the last
// attempt got (its answer may have arrived just as the caller cancelled).
func callerStopped(ctx context.Context, e *Error) *Error {
	switch {
	case e.Status == 0 || e.Err == nil:
		e.Err = ctx.Err()
	case !errors.Is(e.Err, ctx.Err()):
		e.Err = fmt.Errorf("%w; %w", e.Err, ctx.Err())
	}
	return e
}
