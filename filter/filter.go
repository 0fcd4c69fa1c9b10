package filter

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// Rule is one compiled line of a rule list.
type Rule struct {
	Text    string // the rule as written in the config
	Include bool   // "+" rule (for Sized: compress from the default size)
	Pattern string // the regexp, without its +/- prefix
	re      *regexp.Regexp
}

// RuleError is a rule that could not be compiled.
type RuleError struct {
	Index int    // 0-based position in the list
	Text  string // the rule as written
	Err   error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("rule %d %s: %v", e.Index+1, strconv.Quote(e.Text), e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }

// Filter is an ordered list of include/exclude rules. A nil *Filter
// includes everything.
type Filter struct {
	rules []Rule
}

// Parse compiles rules of the form "+REGEX" or "-REGEX". Every bad rule is
// reported, joined in one error; each is a *RuleError.
func Parse(rules []string) (*Filter, error) {
	f := &Filter{rules: make([]Rule, 0, len(rules))}
	var errs []error
	for i, text := range rules {
		r, err := parseRule(text)
		if err != nil {
			errs = append(errs, &RuleError{Index: i, Text: text, Err: err})
			continue
		}
		f.rules = append(f.rules, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return f, nil
}

func parseRule(text string) (Rule, error) {
	if text == "" || (text[0] != '+' && text[0] != '-') {
		return Rule{}, errors.New(`must start with "+" (include) or "-" (exclude)`)
	}
	a := Include
	if text[0] == '-' {
		a = Exclude
	}
	re, err := compileFor(text[1:], a)
	if err != nil {
		return Rule{}, err
	}
	return Rule{Text: text, Include: a == Include, Pattern: text[1:], re: re}, nil
}

// CheckPattern reports whether pattern (without a +/- prefix) is accepted
// as a rule's regexp: a *PythonSyntaxError naming a Python-only construct,
// or an error from compiling it as Go RE2. It is the check Parse and
// ParseSized apply to every rule, for callers (the configuration loader)
// that report rules one by one.
func CheckPattern(pattern string) error {
	_, err := compile(pattern)
	return err
}

// CheckRow is CheckPattern for a whole rule: a Python-only construct's
// message then says what to write instead for a rule of that sign.
func CheckRow(r Row) error {
	_, err := compileFor(r.Pattern, r.Action)
	return err
}

// compile rejects Python-only syntax, then compiles the pattern as RE2.
func compile(pattern string) (*regexp.Regexp, error) { return compileFor(pattern, 0) }

// compileFor is compile for a rule with action a (0: unknown), whose
// sign words the hint for a Python-only construct.
func compileFor(pattern string, a Action) (*regexp.Regexp, error) {
	if err := checkPythonOnly(pattern); err != nil {
		var pe *PythonSyntaxError
		if errors.As(err, &pe) {
			pe.forRule(pattern, a)
		}
		return nil, err
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("not a valid Go regexp: %w", err)
	}
	return re, nil
}

// Rules returns the compiled rules, in order.
func (f *Filter) Rules() []Rule {
	if f == nil {
		return nil
	}
	return f.rules
}

// TestString is the string the rules are matched against for the relative
// path rel: "/"+rel, plus a trailing "/" when isDir.
func TestString(rel string, isDir bool) string {
	if isDir {
		return "/" + rel + "/"
	}
	return "/" + rel
}

// Match reports whether rel (relative to the source root, no leading "/")
// is included, and the 0-based index of the rule that decided (-1: no rule
// matched, so included). isDir must be false for symlinks, even to
// directories. The root (rel == "") is never tested and always included.
func (f *Filter) Match(rel string, isDir bool) (include bool, rule int) {
	if f == nil || rel == "" {
		return true, -1
	}
	i := first(f.rules, TestString(rel, isDir))
	if i < 0 {
		return true, -1
	}
	return f.rules[i].Include, i
}

// Explain says in one line which rule decides rel and how, for operators
// tuning their lists. The tested string is quoted (Go syntax), so odd bytes
// stay visible.
func (f *Filter) Explain(rel string, isDir bool) string {
	if rel == "" {
		return `"/" (the source root) included: the root is never tested`
	}
	inc, i := f.Match(rel, isDir)
	s := strconv.Quote(TestString(rel, isDir))
	if i < 0 {
		return s + " included: no rule matched"
	}
	verb := "excluded"
	if inc {
		verb = "included"
	}
	return fmt.Sprintf("%s %s by rule %d %s", s, verb, i+1, strconv.Quote(f.rules[i].Text))
}

func first(rules []Rule, s string) int {
	for i := range rules {
		if rules[i].re.MatchString(s) {
			return i
		}
	}
	return -1
}
