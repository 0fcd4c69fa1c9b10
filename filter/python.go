package filter

import (
	"fmt"
	"strings"
)

// PythonSyntaxError names a construct that Python's re accepts but Go's RE2
// does not (or reads differently).
type PythonSyntaxError struct {
	Construct string // the construct as written, e.g. "(?=" or "{,3}"
	What      string // what it is, e.g. "look-ahead"
	Reads     string // how Go reads it when it does not refuse it, e.g. "literal text, not {0,3}"
	Hint      string // what to write instead for Go
	// exception: a negative look-around, which carves an exception out
	// of the rule; the hint depends on the rule's sign (forRule).
	exception bool
	at        int // offset of Construct in the pattern
}

// forRule words the hint of a negative look-around in pattern for a rule
// with action a: the exception becomes a rule of the other sign, placed
// before it. A negative look-ahead that ends the pattern gets the two
// rules to write.
func (e *PythonSyntaxError) forRule(pattern string, a Action) {
	if !e.exception || (a != Include && a != Exclude) {
		return
	}
	sign, other, verb := "+", "-", "exclude"
	if a == Exclude {
		sign, other, verb = "-", "+", "include"
	}
	e.Hint = fmt.Sprintf("%s the exception with a %s rule before this %s rule, since the first rule that matches decides", verb, other, sign)
	if e.Construct != "(?!" {
		return
	}
	end := groupEnd(pattern, e.at)
	if end != len(pattern)-1 {
		return
	}
	prefix, inner := pattern[:e.at], pattern[e.at+3:end]
	if strings.Contains(inner, "|") {
		inner = "(?:" + inner + ")"
	}
	e.Hint += fmt.Sprintf(": write %s%s%s then %s%s", other, prefix, inner, sign, prefix)
}

// groupEnd is the offset of the ")" closing the group that opens at i,
// or -1; escapes and character classes are skipped.
func groupEnd(p string, i int) int {
	depth, inClass := 0, false
	for ; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			i++
		case inClass:
			inClass = c != ']'
		case c == '[':
			i = openClass(p, i) - 1
			inClass = true
		case c == '(':
			depth++
		case c == ')':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// Error reads e.g. "negative look-ahead (?! is Python regexp syntax that
// Go's RE2 does not support" or "{,3} is Python regexp syntax that Go's RE2
// reads as literal text, not {0,3} (write {0,3})".
func (e *PythonSyntaxError) Error() string {
	var s string
	if e.Reads != "" {
		s = fmt.Sprintf("%s is Python regexp syntax that Go's RE2 reads as %s", e.Construct, e.Reads)
	} else {
		s = fmt.Sprintf("%s %s is Python regexp syntax that Go's RE2 does not support", e.What, e.Construct)
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// checkPythonOnly scans a pattern for constructs of Python's re that RE2
// lacks or reads differently. It tracks escapes and character classes, so
// "\(?=" or "[(?=]" are not reported.
func checkPythonOnly(p string) error {
	inClass := false
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\\':
			if !inClass {
				if err := checkEscape(p[i:]); err != nil {
					return err
				}
			}
			i += 2
		case inClass:
			i = classStep(p, i, &inClass)
		case c == '[':
			i = openClass(p, i)
			inClass = true
		case c == '(':
			if pe := checkGroup(p[i:]); pe != nil {
				pe.at = i
				return pe
			}
			i++
			if i < len(p) && p[i] == '?' {
				i++ // "(?" is not a quantifier
			}
		case c == '{':
			n, err := checkBrace(p[i:])
			if err != nil {
				return err
			}
			i += n
		case c == '*' || c == '+' || c == '?':
			if i+1 < len(p) && p[i+1] == '+' {
				return possessive(p[i : i+2])
			}
			i++
		default:
			i++
		}
	}
	return nil
}

// openClass skips "[", an optional "^" and a leading "]" (a literal there).
func openClass(p string, i int) int {
	i++
	if i < len(p) && p[i] == '^' {
		i++
	}
	if i < len(p) && p[i] == ']' {
		i++
	}
	return i
}

// classStep advances inside a character class, skipping "[:name:]".
func classStep(p string, i int, inClass *bool) int {
	if p[i] == '[' && strings.HasPrefix(p[i:], "[:") {
		if end := strings.Index(p[i+2:], ":]"); end >= 0 {
			return i + 2 + end + 2
		}
	}
	if p[i] == ']' {
		*inClass = false
	}
	return i + 1
}

func checkEscape(s string) error {
	if len(s) < 2 {
		return nil // Go reports the trailing backslash
	}
	switch n := s[1]; {
	case n == 'Z':
		return &PythonSyntaxError{Construct: `\Z`, What: "end-of-string anchor", Hint: `write \z`}
	case n == 'u' || n == 'U' || n == 'N':
		return &PythonSyntaxError{Construct: s[:2], What: "Unicode escape", Hint: `write \x{HHHH}`}
	case n >= '1' && n <= '9':
		// Python: three octal digits starting 1-7 are a character code
		// (as in Go); anything else is a group reference.
		if len(s) >= 4 && n <= '7' && isOctal(s[2]) && isOctal(s[3]) {
			return nil
		}
		end := 2
		if len(s) > 2 && s[2] >= '0' && s[2] <= '9' {
			end = 3
		}
		return &PythonSyntaxError{Construct: s[:end], What: "back-reference", Hint: backrefHint}
	}
	return nil
}

func isOctal(b byte) bool { return b >= '0' && b <= '7' }

// checkGroup looks at a "(" and what follows "(?".
func checkGroup(s string) *PythonSyntaxError {
	if !strings.HasPrefix(s, "(?") {
		return nil
	}
	rest := s[2:]
	for _, g := range pythonGroups {
		if strings.HasPrefix(rest, g.prefix) {
			return &PythonSyntaxError{Construct: "(?" + g.prefix, What: g.what, Hint: g.hint, exception: g.exception}
		}
	}
	return checkFlags(rest)
}

// exceptionHint is the hint of a negative look-around when the rule's
// sign is not known (forRule words it for a + or - rule).
const exceptionHint = "give the exception a rule of its own with the other sign, before this one: the first rule that matches decides"

// backrefHint is what to do without back-references.
const backrefHint = "spell the repeated text out, or write one rule per case"

var pythonGroups = []struct {
	prefix, what, hint string
	exception          bool
}{
	// A rule only asks whether a path matches, so a look-ahead or
	// look-behind matches where the same text written in place does.
	{"=", "look-ahead", "write the text it looks for in place: a(?=b) matches the paths ab does", false},
	{"!", "negative look-ahead", exceptionHint, true},
	{"<=", "look-behind", "write the text it looks for in place: (?<=a)b matches the paths ab does", false},
	{"<!", "negative look-behind", exceptionHint, true},
	{"P=", "named back-reference", backrefHint, false},
	{"#", "comment group", "remove the comment", false},
	{"(", "conditional group", "write one rule per case", false},
	{">", "atomic group", "write (?:...) instead", false},
}

// checkFlags reports inline flags Go lacks: a (ASCII), L (locale),
// u (unicode) and x (verbose). Go has i, m, s and U.
func checkFlags(rest string) *PythonSyntaxError {
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; c {
		case ')', ':':
			return nil
		case 'a', 'L', 'u', 'x':
			what := map[byte]string{'a': "ASCII flag", 'L': "locale flag", 'u': "unicode flag", 'x': "verbose flag"}[c]
			hint := ""
			if c == 'x' {
				hint = "remove the flag and the whitespace/comments it allowed"
			} else {
				hint = "remove the flag"
			}
			return &PythonSyntaxError{Construct: "(?" + rest[:i+1], What: what, Hint: hint}
		}
		if !isFlagChar(rest[i]) {
			return nil // named group or something Go will judge
		}
	}
	return nil
}

func isFlagChar(c byte) bool { return c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// checkBrace looks at a "{". Python reads "{,n}" as {0,n} (and "{,}" as *);
// Go reads both as literal text, silently matching something else.
// It returns how many bytes to skip.
func checkBrace(s string) (int, error) {
	j := 1
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	lo := s[1:j]
	hasComma := j < len(s) && s[j] == ','
	if hasComma {
		j++
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
	}
	if j >= len(s) || s[j] != '}' || (lo == "" && !hasComma) {
		return 1, nil // literal "{" in both
	}
	j++
	if lo == "" {
		python := "{0," + s[2:j-1] + "}"
		if j == 3 { // "{,}"
			python = "*"
		}
		return 0, &PythonSyntaxError{Construct: s[:j], What: "quantifier with no lower bound",
			Reads: "literal text, not " + python, Hint: "write " + python}
	}
	if j < len(s) && s[j] == '+' {
		return 0, possessive(s[:j+1])
	}
	return j, nil
}

func possessive(q string) error {
	return &PythonSyntaxError{Construct: q, What: "possessive quantifier", Hint: "drop the final +"}
}
