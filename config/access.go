package config

import (
	"reflect"
	"strings"

	"github.com/lafs-backup/lafs-backup/filter"
)

// Require checks that each dotted key (e.g. "source.path") has a non-empty
// value, for a command that needs it. The error is a Problems naming every
// missing key, so the command line exits 2.
func (c *Config) Require(command string, keys ...string) error {
	var ps Problems
	for _, k := range keys {
		v, ok := c.lookup(k)
		if ok && !v.IsZero() && !(v.Kind() == reflect.Slice && v.Len() == 0) {
			continue
		}
		p, _ := c.Pos(k)
		if p.Key == "" {
			p.Key = k
		}
		ps = append(ps, Problem{p, "required by " + command + " but not set (set it in a -c file)"})
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// lookup finds the field of a dotted key by its yaml tags.
func (c *Config) lookup(key string) (reflect.Value, bool) {
	v := reflect.ValueOf(c).Elem()
	for _, name := range strings.Split(key, ".") {
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, false
		}
		i, ok := yamlFields(v.Type())[name]
		if !ok {
			return reflect.Value{}, false
		}
		v = v.Field(i)
	}
	return v, true
}

// RuleStrings returns filter rules as "+REGEX" / "-REGEX" texts, the form
// filter.Parse takes. Index i of the result is rule i, so a filter error
// about rule i can be reported at rules[i].Pos.
func RuleStrings(rules []Rule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.String()
	}
	return out
}

// RuleRows returns path_filter rules as the rows filter.ParseSized takes.
// Index i of the result is rule i.
func RuleRows(rules []Rule) []filter.Row {
	out := make([]filter.Row, len(rules))
	for i, r := range rules {
		out[i] = r.Row
	}
	return out
}

// MinSizeOr returns xz.min_size, or none when it is null (filter.NoMinSize
// is -1).
func (x XZ) MinSizeOr(none int64) int64 {
	if x.MinSize == nil {
		return none
	}
	return *x.MinSize
}
