package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Unit is what a rate limit counts.
type Unit int

const (
	Bytes   Unit = iota + 1 // bytes of file data sent
	Objects                 // objects uploaded (files and directories)
)

// MinByteBurst is the smallest bucket of a byte rate limit.
const MinByteBurst = 256 << 10

// maxBurst keeps bursts well inside int on every platform.
const maxBurst = 1 << 40

// RateLimit is a token bucket: Rate units per second, at most Burst at once.
// The zero value means no limit. The command line turns it into
// rate.NewLimiter(rate.Limit(r.Rate), r.Burst); waits larger than Burst must
// be split into Burst-sized pieces.
type RateLimit struct {
	Rate  float64 // units per second; 0 = no limit
	Burst int     // bucket size; at least one second of Rate (and MinByteBurst for bytes)
	Spec  string  // as written in the config
}

// Unlimited reports whether no limit is set.
func (r RateLimit) Unlimited() bool { return r.Rate == 0 }

// ParseRateLimit parses a limit in the Python tool's "interval[:burst]" form,
// where interval is seconds per unit written as a number or a ratio
// ("1/3e6:50e6" = 3 MB/s with a 50 MB burst; "5" = one object per 5 s), or in
// the plain form "AMOUNT[UNIT]/s[:burst]" ("3MB/s", "512KiB/s", "10/s";
// "/min" and "/h" work too). Byte units: B, kB/KB, MB, GB, TB (powers of
// 10) and KiB, MiB, GiB, TiB (powers of 2). An empty spec is no limit.
func ParseRateLimit(spec string, unit Unit) (RateLimit, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return RateLimit{}, nil
	}
	ratePart, burstPart, hasBurst := strings.Cut(spec, ":")
	if strings.Contains(burstPart, ":") {
		return RateLimit{}, fmt.Errorf("%q: expected interval[:burst] or RATE/s[:burst]", spec)
	}
	perSec, err := parseRate(ratePart, unit)
	if err != nil {
		return RateLimit{}, fmt.Errorf("%q: %w", spec, err)
	}
	burst := 1.0
	if hasBurst {
		if burst, err = quantity(burstPart, unit); err != nil {
			return RateLimit{}, fmt.Errorf("%q: burst: %w", spec, err)
		}
		if burst <= 0 {
			return RateLimit{}, fmt.Errorf("%q: burst must be positive", spec)
		}
	}
	burst = max(burst, math.Ceil(perSec))
	if unit == Bytes {
		burst = max(burst, MinByteBurst)
	}
	return RateLimit{Rate: perSec, Burst: int(min(math.Ceil(burst), maxBurst)), Spec: spec}, nil
}

var perUnits = map[string]float64{"s": 1, "sec": 1, "min": 60, "h": 3600}

// parseRate returns units per second.
func parseRate(s string, unit Unit) (float64, error) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		if per, ok := perUnits[strings.TrimSpace(s[i+1:])]; ok {
			q, err := quantity(s[:i], unit)
			switch {
			case err != nil:
				return 0, err
			case q <= 0:
				return 0, fmt.Errorf("rate must be positive (leave the value empty for no limit)")
			}
			return q / per, nil
		}
	}
	iv, err := interval(s)
	if err != nil {
		return 0, err
	}
	return 1 / iv, nil
}

// interval parses "N" or "A/B" seconds per unit.
func interval(s string) (float64, error) {
	num, den, ratio := strings.Cut(s, "/")
	a, err := number(num)
	if err != nil {
		return 0, err
	}
	if ratio {
		b, err := number(den)
		if err != nil {
			return 0, err
		}
		if b == 0 {
			return 0, fmt.Errorf("division by zero in interval %q", s)
		}
		a /= b
	}
	switch {
	case a == 0:
		return 0, fmt.Errorf("an interval of 0 would be an infinite rate (leave the value empty for no limit)")
	case a < 0:
		return 0, fmt.Errorf("negative interval")
	}
	return a, nil
}

func number(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", strings.TrimSpace(s))
	}
	return f, nil
}

var byteUnits = map[string]float64{
	"": 1, "B": 1,
	"k": 1e3, "K": 1e3, "kB": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6,
	"G": 1e9, "GB": 1e9, "T": 1e12, "TB": 1e12,
	"Ki": 1 << 10, "KiB": 1 << 10, "Mi": 1 << 20, "MiB": 1 << 20,
	"Gi": 1 << 30, "GiB": 1 << 30, "Ti": 1 << 40, "TiB": 1 << 40,
}

// quantity parses a number with an optional byte unit ("50e6", "3MB").
func quantity(s string, unit Unit) (float64, error) {
	s = strings.TrimSpace(s)
	i := len(s)
	for i > 0 && isLetter(s[i-1]) {
		i--
	}
	num, u := strings.TrimSpace(s[:i]), s[i:]
	mult, ok := byteUnits[u]
	if !ok || unit == Objects && u != "" {
		return 0, fmt.Errorf("unknown unit %q in %q", u, s)
	}
	f, err := number(num)
	if err != nil {
		return 0, err
	}
	if f < 0 {
		return 0, fmt.Errorf("negative amount %q", s)
	}
	return f * mult, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func (d *decoder) rateLimit(n *yaml.Node, key, unit string) RateLimit {
	s, ok := d.str(n, key)
	if !ok {
		return RateLimit{}
	}
	u := Bytes
	if unit == "objects" {
		u = Objects
	}
	r, err := ParseRateLimit(s, u)
	if err != nil {
		d.problem(d.pos(n, key), "%v", err)
	}
	return r
}
