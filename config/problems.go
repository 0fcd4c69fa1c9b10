package config

import (
	"fmt"
	"strings"
)

// BaseName is the file name reported for positions in the embedded base.
const BaseName = "base-config.yaml"

// Pos is where a value was set: file, line (1-based; 0 if unknown) and the
// dotted key, with list indexes as "filter[2]".
type Pos struct {
	File string
	Line int
	Key  string
}

func (p Pos) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	if p.Key != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(p.Key)
	}
	return b.String()
}

// Problem is one thing wrong with the configuration.
type Problem struct {
	Pos
	Msg string
}

func (p Problem) String() string { return p.Pos.String() + ": " + p.Msg }

// Problems is every problem found while loading; it is the error Load returns
// when the configuration is unusable. Its message has one line per problem,
// "FILE:LINE: KEY: MESSAGE".
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Warning is something accepted but worth telling the operator.
type Warning struct {
	Pos
	Msg string
}

func (w Warning) String() string { return w.Pos.String() + ": " + w.Msg }

// report collects problems and warnings while loading.
type report struct {
	problems Problems
	warnings []Warning
	bad      map[string]bool // keys with a problem already
}

func (r *report) problem(p Pos, format string, args ...any) {
	if r.bad == nil {
		r.bad = map[string]bool{}
	}
	r.bad[p.Key] = true
	r.problems = append(r.problems, Problem{p, fmt.Sprintf(format, args...)})
}

func (r *report) warn(p Pos, format string, args ...any) {
	r.warnings = append(r.warnings, Warning{p, fmt.Sprintf(format, args...)})
}
