package filter

import (
	"errors"
	"fmt"
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

// Action is what a rule of a Sized list does when its pattern matches.
type Action int

const (
	Include Action = iota + 1 // "+REGEX": compress when size >= min_size
	Exclude                   // "-REGEX": never compress
	AtSize                    // [SIZE, REGEX]: compress when size >= Row.Size
)

// Row is one rule of a Sized list as the configuration decoded it (config
// reads the YAML forms above into rows).
type Row struct {
	Action  Action
	Size    int64  // for AtSize; 0 compresses every matching file
	Pattern string // Go RE2, without a +/- prefix
}

// String renders the row as it is written in the configuration: "+REGEX",
// "-REGEX" or [SIZE, "REGEX"].
func (r Row) String() string {
	switch r.Action {
	case Include:
		return "+" + r.Pattern
	case Exclude:
		return "-" + r.Pattern
	}
	return fmt.Sprintf("[%d, %s]", r.Size, strconv.Quote(r.Pattern))
}

// ParseSized compiles path_filter rows. minSize < 0 means NoMinSize. All
// bad rows are reported at once, each as a *RuleError.
func ParseSized(rows []Row, minSize int64) (*Sized, error) {
	if minSize < 0 {
		minSize = NoMinSize
	}
	s := &Sized{minSize: minSize, rules: make([]sizedRule, 0, len(rows))}
	var errs []error
	for i, row := range rows {
		r, err := parseSizedRow(row)
		if err != nil {
			errs = append(errs, &RuleError{Index: i, Text: row.String(), Err: err})
			continue
		}
		s.rules = append(s.rules, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

func parseSizedRow(row Row) (sizedRule, error) {
	re, err := compileFor(row.Pattern, row.Action)
	if err != nil {
		return sizedRule{}, err
	}
	r := Rule{Text: row.String(), Include: row.Action != Exclude, Pattern: row.Pattern, re: re}
	switch row.Action {
	case Include:
		return sizedRule{Rule: r, useMin: true}, nil
	case Exclude:
		return sizedRule{Rule: r, threshold: -1}, nil
	case AtSize:
		if row.Size < 0 {
			return sizedRule{}, fmt.Errorf("size %d out of range", row.Size)
		}
		return sizedRule{Rule: r, threshold: row.Size}, nil
	}
	return sizedRule{}, fmt.Errorf("unknown action %d", row.Action)
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
