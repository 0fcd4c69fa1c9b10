package config

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// MaxRetryDelay caps exponential backoff.
const MaxRetryDelay = time.Hour

// RetryDelay is http.retry.delay: either a list of delays, one before each
// retry in turn (the last repeats), or the base of exponential backoff.
type RetryDelay struct {
	List []time.Duration // used when non-empty
	Base time.Duration   // exponential base when List is empty
}

// Exponential reports whether the delay is exponential backoff (callers add
// jitter then); a list is used exactly as written.
func (r RetryDelay) Exponential() bool { return len(r.List) == 0 }

// Before returns the delay before retry n (n = 1 for the first retry,
// i.e. the second attempt), without jitter.
func (r RetryDelay) Before(n int) time.Duration {
	n = max(n, 1)
	if len(r.List) > 0 {
		return r.List[min(n, len(r.List))-1]
	}
	d := r.Base
	for i := 1; i < n && d < MaxRetryDelay; i++ {
		d *= 2
	}
	return min(d, MaxRetryDelay)
}

func (d *decoder) retryDelay(n *yaml.Node, key string) RetryDelay {
	if isNull(n) {
		return RetryDelay{}
	}
	if n.Kind == yaml.ScalarNode {
		v, _ := d.duration(n, key)
		return RetryDelay{Base: v.D()}
	}
	if n.Kind != yaml.SequenceNode {
		d.problem(d.pos(n, key), "expected seconds or a list of seconds, got %s", describe(n))
		return RetryDelay{}
	}
	var r RetryDelay
	for i, it := range n.Content {
		v, _ := d.duration(resolve(it), fmt.Sprintf("%s[%d]", key, i))
		r.List = append(r.List, v.D())
	}
	if len(r.List) == 0 {
		d.problem(d.pos(n, key), "empty list; give at least one delay, or a number")
	}
	return r
}
