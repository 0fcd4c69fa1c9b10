package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// counters is a Progress (restore and verify) that a status line reads.
type counters struct {
	entries, failed, bytes atomic.Int64
	current                atomic.Pointer[string]
}

func (c *counters) Entry(path string, failed bool) {
	c.entries.Add(1)
	if failed {
		c.failed.Add(1)
	}
	c.current.Store(&path)
}

func (c *counters) Bytes(n int64) { c.bytes.Add(n) }

// line renders the counters: entries, bytes, rate, current path.
func (c *counters) line(verb string, start time.Time) string {
	b := c.bytes.Load()
	secs := max(time.Since(start).Seconds(), 0.001)
	s := fmt.Sprintf("%s: %s, %s, %s/s", verb, plural(c.entries.Load(), "entry"), humanBytes(b), humanBytes(int64(float64(b)/secs)))
	if f := c.failed.Load(); f > 0 {
		s += fmt.Sprintf(", %d failed", f)
	}
	if p := c.current.Load(); p != nil {
		s += "  " + trimMiddle(displayName(*p), 40)
	}
	return s
}

// startStatus redraws a status line on e's stderr every half second when
// it is a terminal (not with --json); the returned stop erases it.
func startStatus(e *env, render func() string) (stop func()) {
	w := e.Stderr
	if e.JSON || !isTerminal(w) {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprint(w, "\r\033[K"+trimMiddle(render(), 120))
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, exp := float64(n), 0
	for f >= unit && exp < 5 {
		f /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", f, "kMGTP"[exp-1])
}

// trimMiddle shortens s to about n characters with "…" in the middle.
func trimMiddle(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	half := (n - 1) / 2
	return string(r[:half]) + "…" + string(r[len(r)-half:])
}

// displayName makes a raw path printable on one line.
func displayName(p string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return '?'
		}
		return r
	}, p)
}
