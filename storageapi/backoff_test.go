package storageapi

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	c := &Client{opts: Options{Delays: []time.Duration{10 * time.Second, time.Minute}}}
	for n, want := range map[int]time.Duration{1: 10 * time.Second, 2: time.Minute, 7: time.Minute} {
		if got := c.backoff(n); got != want {
			t.Errorf("list: retry %d waits %v, want %v", n, got, want)
		}
	}
	c = &Client{opts: Options{BaseDelay: time.Second, MaxDelay: time.Minute}}
	for n, ceil := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 6: 32 * time.Second,
		7: time.Minute, 40: time.Minute, 100: time.Minute} {
		for range 20 {
			if got := c.backoff(n); got < ceil/2 || got > ceil {
				t.Errorf("exponential: retry %d waits %v, want within [%v, %v]", n, got, ceil/2, ceil)
			}
		}
	}
}
