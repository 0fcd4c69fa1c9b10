package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a length of time written as seconds (a number) or as a Go
// duration string with an optional "d" (days) unit: 90, 1.5, "30m", "2h",
// "1d12h".
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ParseDuration parses the forms Duration accepts. Negative values are an
// error.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return seconds(f)
	}
	days := 0.0
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		f, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (examples: 90, \"30m\", \"2h\", \"1d\")", s)
		}
		days, s = f, s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		var err error
		if rest, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a duration (examples: 90, \"30m\", \"2h\", \"1d\")", s)
		}
	}
	total := time.Duration(days*float64(24*time.Hour)) + rest
	if total < 0 || days < 0 {
		return 0, fmt.Errorf("negative duration")
	}
	return total, nil
}

func seconds(f float64) (time.Duration, error) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0, fmt.Errorf("%v is not a duration", f)
	case f < 0:
		return 0, fmt.Errorf("negative duration %v", f)
	case f > float64(math.MaxInt64)/float64(time.Second):
		return 0, fmt.Errorf("duration %v s is too long", f)
	}
	return time.Duration(f * float64(time.Second)), nil
}

// duration decodes a Duration; null is 0.
func (d *decoder) duration(n *yaml.Node, key string) (Duration, bool) {
	if isNull(n) {
		return 0, true
	}
	if n.Kind != yaml.ScalarNode {
		d.problem(d.pos(n, key), "expected a duration (seconds, or e.g. \"30m\"), got %s", describe(n))
		return 0, false
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		d.problem(d.pos(n, key), "%v", err)
		return 0, false
	}
	return Duration(v), true
}

// durations decodes a number or a list of numbers (operation.timeouts.updates).
// null, false, 0 or an empty list give nil (no limit), as in the Python tool
// (where an empty list failed every upload; here it means "no limit").
func (d *decoder) durations(n *yaml.Node, key string) []Duration {
	if isNull(n) || n.Kind == yaml.ScalarNode && n.Tag == "!!bool" && n.Value != "true" {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []Duration
	for i, it := range items {
		k := key
		if n.Kind == yaml.SequenceNode {
			k = fmt.Sprintf("%s[%d]", key, i)
		}
		v, ok := d.duration(resolve(it), k)
		if ok && v == 0 && len(items) == 1 {
			return nil
		}
		if ok && v == 0 {
			d.problem(d.pos(it, k), "0 in a list of timeouts; use null for no limit")
		}
		out = append(out, v)
	}
	return out
}
