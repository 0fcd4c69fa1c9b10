package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lafs-backup/lafs-backup/filter"
)

// Rule is one entry of "filter" or "destination.encoding.xz.path_filter",
// decoded from any of its YAML forms, with where it was written. The
// action is filter.Include ('+'), filter.Exclude ('-') or, in path_filter
// only, filter.AtSize ([SIZE, RE]). Pattern has already passed
// filter.CheckRow, the check the rules are compiled with.
type Rule struct {
	filter.Row
	Pos // file, line and key ("filter[3]")
}

// String renders the rule as it would be written in the config.
func (r Rule) String() string { return r.Row.String() }

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
			err = filter.CheckRow(r.Row)
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
		a := filter.Include
		if n.Value[0] == '-' {
			a = filter.Exclude
		}
		return rule(a, 0, n.Value[1:]), nil
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

func rule(a filter.Action, size int64, pattern string) Rule {
	return Rule{Row: filter.Row{Action: a, Size: size, Pattern: pattern}}
}

func ruleAction(a *yaml.Node, sized bool) (Rule, error) {
	switch {
	case a.Tag == "!!str" && a.Value == "+", sized && a.Tag == "!!bool" && a.Value == "true":
		return rule(filter.Include, 0, ""), nil
	case a.Tag == "!!str" && a.Value == "-", sized && (a.Tag == "!!bool" || a.Tag == "!!null"):
		return rule(filter.Exclude, 0, ""), nil
	case sized && (a.Tag == "!!int" || a.Tag == "!!float"):
		var f float64
		if err := a.Decode(&f); err != nil || f < 0 || f > math.MaxInt64/2 || math.IsNaN(f) {
			return Rule{}, fmt.Errorf("size %q must be a non-negative number of bytes", a.Value)
		}
		// A fractional size compares like the Python tool's float: >= 2.5 is >= 3.
		return rule(filter.AtSize, int64(math.Ceil(f)), ""), nil
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
