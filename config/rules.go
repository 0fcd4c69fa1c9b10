package config

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Action is what a rule does when its pattern matches.
type Action int

const (
	Include Action = iota + 1 // '+': back up (filter) or compress if size >= min_size (path_filter)
	Exclude                   // '-': leave out (filter) or never compress (path_filter)
	MinSize                   // [SIZE, RE]: compress if size >= Rule.Size (path_filter only)
)

// Rule is one entry of "filter" or "destination.encoding.xz.path_filter",
// kept as written with where it was written. Pattern has already been checked
// with regexp.Compile and for Python-only syntax.
type Rule struct {
	Action  Action
	Size    int64  // for MinSize
	Pattern string // Go RE2, without the +/- prefix
	Pos            // file, line and key ("filter[3]")
}

// String renders the rule as it would be written in the config.
func (r Rule) String() string {
	switch r.Action {
	case Include:
		return "+" + r.Pattern
	case Exclude:
		return "-" + r.Pattern
	}
	return fmt.Sprintf("[%d, %s]", r.Size, strconv.Quote(r.Pattern))
}

// rules decodes a list of rules; sized allows [SIZE, RE] entries.
func (d *decoder) rules(n *yaml.Node, key string, sized bool) []Rule {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.problem(d.pos(n, key), "expected a list of rules ('+REGEX' or '-REGEX'), got %s", describe(n))
		return nil
	}
	var out []Rule
	for i, it := range n.Content {
		it = resolve(it)
		p := d.pos(it, fmt.Sprintf("%s[%d]", key, i))
		r, err := parseRule(it, sized)
		if err == nil {
			err = CheckPattern(r.Pattern)
		}
		if err != nil {
			d.problem(p, "rule %s: %v", ruleText(it), err)
			continue
		}
		r.Pos = p
		out = append(out, r)
	}
	return out
}

// parseRule reads '+RE', '-RE', [ACTION, RE] or (sized) [SIZE, RE].
func parseRule(n *yaml.Node, sized bool) (Rule, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag != "!!str" || n.Value == "" || !strings.ContainsRune("+-", rune(n.Value[0])) {
			return Rule{}, fmt.Errorf("must be a string starting with '+' (include) or '-' (exclude)")
		}
		a := Include
		if n.Value[0] == '-' {
			a = Exclude
		}
		return Rule{Action: a, Pattern: n.Value[1:]}, nil
	case yaml.SequenceNode:
		if len(n.Content) != 2 || resolve(n.Content[1]).Kind != yaml.ScalarNode {
			return Rule{}, fmt.Errorf("a list rule must have two items, [ACTION, REGEX]")
		}
		r, err := ruleAction(resolve(n.Content[0]), sized)
		r.Pattern = resolve(n.Content[1]).Value
		return r, err
	}
	return Rule{}, fmt.Errorf("must be a string '+REGEX' or '-REGEX'")
}

func ruleAction(a *yaml.Node, sized bool) (Rule, error) {
	switch {
	case a.Tag == "!!str" && a.Value == "+", sized && a.Tag == "!!bool" && a.Value == "true":
		return Rule{Action: Include}, nil
	case a.Tag == "!!str" && a.Value == "-", sized && (a.Tag == "!!bool" || a.Tag == "!!null"):
		return Rule{Action: Exclude}, nil
	case sized && (a.Tag == "!!int" || a.Tag == "!!float"):
		var f float64
		if err := a.Decode(&f); err != nil || f < 0 || f > math.MaxInt64/2 || math.IsNaN(f) {
			return Rule{}, fmt.Errorf("size %q must be a non-negative number of bytes", a.Value)
		}
		// A fractional size compares like the Python tool's float: >= 2.5 is >= 3.
		return Rule{Action: MinSize, Size: int64(math.Ceil(f))}, nil
	case sized:
		return Rule{}, fmt.Errorf("first item must be '+', '-' or a size in bytes, got %s", describe(a))
	}
	return Rule{}, fmt.Errorf("first item must be '+' or '-', got %s", describe(a))
}

// ruleText shows a rule node in a message.
func ruleText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(n.Value)
	}
	parts := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		parts = append(parts, describe(c))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// CheckPattern compiles a rule's regexp as Go RE2 and rejects Python-only
// syntax that RE2 lacks or reads differently, naming the construct.
func CheckPattern(p string) error {
	if c, hint := pythonOnlySyntax(p); c != "" {
		return fmt.Errorf("%s is Python regexp syntax that Go's RE2 %s", c, hint)
	}
	if _, err := regexp.Compile(p); err != nil {
		return fmt.Errorf("not a valid Go regexp: %w", err)
	}
	return nil
}

// pythonOnlySyntax finds the first construct of p that only Python's re
// supports: look-around, back-references, \Z, and "{,n}".
func pythonOnlySyntax(p string) (construct, hint string) {
	const noSupport = "does not support"
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			n := p[i+1]
			i++
			switch {
			case inClass:
			case n >= '1' && n <= '9':
				return `back-reference \` + string(n), noSupport
			case n == 'Z':
				return `\Z`, `does not support (write \z)`
			}
		case inClass:
			inClass = c != ']'
		case c == '[':
			inClass = true
			if strings.HasPrefix(p[i+1:], "^]") {
				i += 2
			} else if strings.HasPrefix(p[i+1:], "]") {
				i++
			}
		case c == '(':
			for _, la := range []struct{ s, name string }{
				{"(?=", "look-ahead (?="}, {"(?!", "negative look-ahead (?!"},
				{"(?<=", "look-behind (?<="}, {"(?<!", "negative look-behind (?<!"},
				{"(?P=", "named back-reference (?P=name)"},
			} {
				if strings.HasPrefix(p[i:], la.s) {
					return la.name, noSupport
				}
			}
		case c == '{':
			if m := openRepeat.FindString(p[i:]); m != "" {
				return m, "reads as literal text, not {0," + m[2:] + " (write {0," + m[2:] + ")"
			}
		}
	}
	return "", ""
}

var openRepeat = regexp.MustCompile(`^\{,[0-9]+\}`)
