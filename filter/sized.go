package filter

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// NoMinSize as the minSize of ParseSized is the original's
// "min_size: null": "+" rules and unmatched files are never compressed;
// only [SIZE, REGEX] rows enable compression.
const NoMinSize int64 = -1

// Sized is the xz path_filter: an ordered rule list whose first match sets
// the size from which a file is compressed.
//
// Rows, as the original lafs-backup-tool reads them:
//
//	"+REGEX"          compress when size >= min_size
//	"-REGEX"          never compress
//	[SIZE, REGEX]     compress when size >= SIZE (a number, 0 = always)
//	["+", REGEX]      same as "+REGEX" (also true)
//	["-", REGEX]      same as "-REGEX" (also false and null)
//
// A file that matches no rule is compressed when size >= min_size.
type Sized struct {
	rules   []sizedRule
	minSize int64
}

type sizedRule struct {
	Rule
	threshold int64 // -1: never; otherwise compress when size >= threshold
	useMin    bool  // "+" rule: threshold is min_size
}

// ParseSized compiles path_filter rows (each a string or a two-element
// list, as decoded from YAML). minSize < 0 means NoMinSize. All bad rows
// are reported at once, each as a *RuleError.
func ParseSized(rows []any, minSize int64) (*Sized, error) {
	if minSize < 0 {
		minSize = NoMinSize
	}
	s := &Sized{minSize: minSize, rules: make([]sizedRule, 0, len(rows))}
	var errs []error
	for i, row := range rows {
		r, err := parseSizedRow(row)
		if err != nil {
			errs = append(errs, &RuleError{Index: i, Text: rowText(row), Err: err})
			continue
		}
		s.rules = append(s.rules, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

func parseSizedRow(row any) (sizedRule, error) {
	switch v := row.(type) {
	case string:
		r, err := parseRule(v)
		if err != nil {
			return sizedRule{}, err
		}
		return actionRule(r, r.Include), nil
	case []any:
		return parsePair(v)
	case []string:
		pair := make([]any, len(v))
		for i := range v {
			pair[i] = v[i]
		}
		return parsePair(pair)
	}
	return sizedRule{}, fmt.Errorf(`must be "+REGEX", "-REGEX" or [SIZE, REGEX], not %T`, row)
}

func actionRule(r Rule, include bool) sizedRule {
	if include {
		return sizedRule{Rule: r, useMin: true}
	}
	return sizedRule{Rule: r, threshold: -1}
}

func parsePair(v []any) (sizedRule, error) {
	if len(v) != 2 {
		return sizedRule{}, fmt.Errorf("a list rule must be [SIZE, REGEX], got %d elements", len(v))
	}
	pat, ok := v[1].(string)
	if !ok {
		return sizedRule{}, fmt.Errorf("the second element must be a regexp string, not %T", v[1])
	}
	re, err := compile(pat)
	if err != nil {
		return sizedRule{}, err
	}
	r := Rule{Text: rowText(v), Pattern: pat, re: re}
	switch a := v[0].(type) {
	case nil:
		return actionRule(r, false), nil
	case bool:
		r.Include = a
		return actionRule(r, a), nil
	case string:
		if a == "+" || a == "-" {
			r.Include = a == "+"
			return actionRule(r, r.Include), nil
		}
		return sizedRule{}, fmt.Errorf(`the first element must be a size, "+" or "-", not %q`, a)
	}
	n, err := sizeOf(v[0])
	if err != nil {
		return sizedRule{}, err
	}
	r.Include = true
	return sizedRule{Rule: r, threshold: n}, nil
}

// sizeOf accepts YAML numbers. A fractional size compares like the
// original's float: size >= 2.5 is size >= 3.
func sizeOf(v any) (int64, error) {
	var f float64
	switch n := v.(type) {
	case int:
		f = float64(n)
	case int64:
		f = float64(n)
	case uint64:
		f = float64(n)
	case float64:
		f = n
	default:
		return 0, fmt.Errorf("the first element must be a size, \"+\" or \"-\", not %T", v)
	}
	if math.IsNaN(f) || f < 0 || f > math.MaxInt64/2 {
		return 0, fmt.Errorf("size %v out of range", v)
	}
	return int64(math.Ceil(f)), nil
}

func rowText(row any) string {
	switch v := row.(type) {
	case string:
		return v
	case []string:
		if len(v) == 2 {
			return rowText([]any{v[0], v[1]})
		}
	case []any:
		if len(v) == 2 {
			return fmt.Sprintf("[%v, %s]", v[0], strconv.Quote(fmt.Sprint(v[1])))
		}
	}
	return fmt.Sprint(row)
}

// MinSize is the configured default threshold (NoMinSize for none).
func (s *Sized) MinSize() int64 { return s.minSize }

// Decide says whether the file rel (relative to the source root) of the
// given size is compressed, and the 0-based index of the deciding rule
// (-1: no rule matched, min_size decided). A nil *Sized never compresses.
func (s *Sized) Decide(rel string, size int64) (compress bool, rule int) {
	if s == nil {
		return false, -1
	}
	t, i := s.Threshold(rel)
	return t >= 0 && size >= t, i
}

// Threshold is the size from which rel is compressed (-1: never) and the
// deciding rule (-1 if none).
func (s *Sized) Threshold(rel string) (threshold int64, rule int) {
	if s == nil {
		return -1, -1
	}
	i := firstSized(s.rules, TestString(rel, false))
	if i < 0 {
		return s.minSize, -1
	}
	r := s.rules[i]
	if r.useMin {
		return s.minSize, i
	}
	return r.threshold, i
}

// Explain says in one line why rel of the given size is or is not compressed.
func (s *Sized) Explain(rel string, size int64) string {
	t, i := s.Threshold(rel)
	by := "min_size (no rule matched)"
	if i >= 0 {
		by = fmt.Sprintf("rule %d %s", i+1, strconv.Quote(s.rules[i].Text))
	}
	q := strconv.Quote(TestString(rel, false))
	switch {
	case t < 0:
		return fmt.Sprintf("%s (%d bytes) not compressed: never, by %s", q, size, by)
	case size >= t:
		return fmt.Sprintf("%s (%d bytes) compressed: %d >= %d, by %s", q, size, size, t, by)
	}
	return fmt.Sprintf("%s (%d bytes) not compressed: %d < %d, by %s", q, size, size, t, by)
}

func firstSized(rules []sizedRule, s string) int {
	for i := range rules {
		if rules[i].re.MatchString(s) {
			return i
		}
	}
	return -1
}
