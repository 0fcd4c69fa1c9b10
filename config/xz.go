package config

import (
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// XZOptions is destination.encoding.xz.options, read from the Python tool's
// pyliblzma form ({options: {...}}, or the inner mapping directly). Only what
// the Go encoder can honour is kept; the rest is named in one warning.
type XZOptions struct {
	Check    string // "crc32", "crc64", "sha256", "none"; "" = encoder default
	DictSize int64  // upper bound of the dictionary in bytes; 0 = automatic
	LC       *int   // literal context bits (0-4)
	LP       *int   // literal position bits (0-4)
	PB       *int   // position bits (0-4)
}

// Minimum and maximum dictionary sizes xz accepts.
const (
	MinDictSize = 4 << 10
	MaxDictSize = 1536 << 20
)

// xzIgnored are pyliblzma options the Go encoder cannot honour.
var xzIgnored = []string{"level", "extreme", "mode", "nice_len", "mf", "depth", "preset"}

var xzChecks = []string{"crc32", "crc64", "sha256", "none"}

func (d *decoder) xzOptions(n *yaml.Node, key string) XZOptions {
	var o XZOptions
	if isNull(n) {
		return o
	}
	if n.Kind != yaml.MappingNode {
		d.problem(d.pos(n, key), "expected a mapping of xz options, got %s", describe(n))
		return o
	}
	if len(n.Content) == 2 && n.Content[0].Value == "options" {
		key += ".options"
		n = resolve(n.Content[1])
		if isNull(n) {
			return o
		}
		if n.Kind != yaml.MappingNode {
			d.problem(d.pos(n, key), "expected a mapping of xz options, got %s", describe(n))
			return o
		}
	}
	var ignored []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		child := join(key, k.Value)
		switch name := k.Value; {
		case slices.Contains(xzIgnored, name):
			ignored = append(ignored, name)
		case name == "format":
			if s, ok := d.str(v, child); ok && s != "xz" && s != "" {
				d.problem(d.pos(v, child), "only format xz is written (the output must decode with \"xz -d\"), got %q", s)
			}
		case name == "check":
			o.Check = d.xzCheck(v, child)
		case name == "dict_size":
			o.DictSize = int64(d.intIn(v, child, MinDictSize, MaxDictSize))
		case name == "lc":
			o.LC = d.bits(v, child)
		case name == "lp":
			o.LP = d.bits(v, child)
		case name == "pb":
			o.PB = d.bits(v, child)
		default:
			d.problem(d.pos(k, child), "unknown xz option (known: format, check, dict_size, lc, lp, pb, %s)", strings.Join(xzIgnored, ", "))
		}
	}
	if o.LC != nil && o.LP != nil && *o.LC+*o.LP > 4 {
		d.problem(d.pos(n, key), "lc + lp must be at most 4")
	}
	if len(ignored) > 0 {
		d.warn(d.pos(n, key), "xz options %s cannot be honoured by the Go xz encoder and are ignored (it has no presets; the dictionary is sized to each file)", strings.Join(ignored, ", "))
	}
	return o
}

func (d *decoder) xzCheck(v *yaml.Node, key string) string {
	s, ok := d.str(v, key)
	if !ok {
		return ""
	}
	s = strings.ToLower(s)
	if !slices.Contains(xzChecks, s) {
		d.problem(d.pos(v, key), "unknown check %q (known: %s)", s, strings.Join(xzChecks, ", "))
		return ""
	}
	return s
}

// bits decodes an LZMA lc/lp/pb value (0-4).
func (d *decoder) bits(v *yaml.Node, key string) *int {
	x := d.intIn(v, key, 0, 4)
	return &x
}

// intIn decodes an integer in [lo, hi].
func (d *decoder) intIn(v *yaml.Node, key string, lo, hi int) int {
	if v.Kind != yaml.ScalarNode {
		d.problem(d.pos(v, key), "expected an integer, got %s", describe(v))
		return 0
	}
	x, err := strconv.ParseInt(strings.ReplaceAll(v.Value, "_", ""), 0, 64)
	if err != nil || x < int64(lo) || x > int64(hi) {
		d.problem(d.pos(v, key), "expected an integer from %d to %d, got %s", lo, hi, describe(v))
		return 0
	}
	return int(x)
}
