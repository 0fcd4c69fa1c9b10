package main

import (
	"flag"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Usage lines and flag help are generated from each command's flag set
// (docs/cli.md), so they list every flag, with one placeholder style.

// alias registers short as another name of the flag long, already
// defined on fs. Help shows them together, with long's text.
func alias(fs *flag.FlagSet, short, long string) {
	f := fs.Lookup(long)
	if f == nil {
		panic("alias of undefined flag " + long)
	}
	fs.Var(f.Value, short, "")
}

// deprecatedFlag is an old spelling kept so that old crontabs work: it
// sets the flag it stands for and makes the run warn (docs/cli.md).
type deprecatedFlag struct {
	flag.Value
	name, instead string
	used          bool
}

func (d *deprecatedFlag) Set(s string) error {
	d.used = true
	return d.Value.Set(s)
}

func (d *deprecatedFlag) IsBoolFlag() bool {
	b, ok := d.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// deprecated registers old as a deprecated spelling of the flag instead,
// already defined on fs. Help lists it apart, out of the usage line.
func deprecated(fs *flag.FlagSet, old, instead, why string) {
	f := fs.Lookup(instead)
	if f == nil {
		panic("deprecated spelling of undefined flag " + instead)
	}
	fs.Var(&deprecatedFlag{Value: f.Value, name: old, instead: instead}, old,
		"deprecated: the old spelling of "+dashed(instead)+" ("+why+"); warns")
}

// deprecationWarnings says, for each deprecated spelling used on fs's
// command line, what to write instead.
func deprecationWarnings(fs *flag.FlagSet) []string {
	var out []string
	fs.VisitAll(func(f *flag.Flag) {
		if d, ok := f.Value.(*deprecatedFlag); ok && d.used {
			out = append(out, fmt.Sprintf("%s is deprecated: it means %s; write %s", dashed(d.name), dashed(d.instead), dashed(d.instead)))
		}
	})
	return out
}

func isDeprecated(f *flag.Flag) bool {
	_, ok := f.Value.(*deprecatedFlag)
	return ok
}

// flagEntry is one flag with all its names (aliases share a Value).
type flagEntry struct {
	names []string // shortest first
	f     *flag.Flag
}

// flagEntries groups the flags of fs that keep selects by Value, in the
// order help lists them (by the longest name, deprecated spellings last).
func flagEntries(fs *flag.FlagSet, keep func(name string) bool) []*flagEntry {
	var entries []*flagEntry
	byValue := map[flag.Value]*flagEntry{}
	fs.VisitAll(func(f *flag.Flag) {
		if !keep(f.Name) {
			return
		}
		if e, ok := byValue[f.Value]; ok {
			e.names = append(e.names, f.Name)
			if f.Usage != "" {
				e.f = f
			}
			return
		}
		e := &flagEntry{names: []string{f.Name}, f: f}
		byValue[f.Value] = e
		entries = append(entries, e)
	})
	for _, e := range entries {
		sort.Slice(e.names, func(i, j int) bool { return len(e.names[i]) < len(e.names[j]) })
	}
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if da, db := isDeprecated(a.f), isDeprecated(b.f); da != db {
			return db // deprecated spellings last
		}
		return a.long() < b.long()
	})
	return entries
}

func (e *flagEntry) long() string { return e.names[len(e.names)-1] }

// dashed writes a flag name as typed: -x for one letter, --name otherwise.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// placeholder is the flag's value name (the backquoted word of its usage),
// "" for a boolean, and its help text without the backquotes.
func (e *flagEntry) placeholder() (arg, help string) {
	arg, help = flag.UnquoteUsage(e.f)
	if isBool(e.f) && !isOptional(e.f) {
		arg = ""
	}
	return arg, help
}

// names returns "-f, --force" (sep ", ") or "-f|--force" (sep "|") with
// the value: " PATH", "[=PATH]" for an optional one.
func (e *flagEntry) spelled(sep string) string {
	d := make([]string, len(e.names))
	for i, n := range e.names {
		d[i] = dashed(n)
	}
	s := strings.Join(d, sep)
	switch arg, _ := e.placeholder(); {
	case arg == "":
	case isOptional(e.f):
		s += "[=" + arg + "]"
	default:
		s += " " + arg
	}
	return s
}

// usageToken is the entry in a usage line: [-f|--force], [--jobs N],
// [--queue-only[=PATH]], [-g|--generation GEN]... for a repeatable one.
func (e *flagEntry) usageToken() string {
	t := "[" + e.spelled("|") + "]"
	if isRepeatable(e.f) {
		t += "..."
	}
	return t
}

func isOptional(f *flag.Flag) bool {
	_, ok := f.Value.(*optionalString)
	return ok
}

func isRepeatable(f *flag.Flag) bool {
	r, ok := f.Value.(interface{ Repeatable() bool })
	return ok && r.Repeatable()
}

// printFlags writes the flags of fs selected by keep, aliases together,
// "-c, --config FILE" style, each with its help once.
func printFlags(w io.Writer, fs *flag.FlagSet, keep func(name string) bool) {
	for _, e := range flagEntries(fs, keep) {
		_, help := e.placeholder()
		fmt.Fprintf(w, "  %s\n      %s%s\n", e.spelled(", "), help, defaultText(e.f))
	}
}

// usageLine is "Usage: lafs-backup [global flags] NAME ARGS [FLAGS]",
// wrapped before 80 columns.
func usageLine(c *command, fs *flag.FlagSet) string {
	words := []string{"Usage:", progName, "[global flags]", c.Name}
	if c.Args != "" {
		words = append(words, c.Args)
	}
	for _, e := range flagEntries(fs, func(n string) bool { return !globalFlagNames[n] }) {
		if !isDeprecated(e.f) {
			words = append(words, e.usageToken())
		}
	}
	return wrapWords(words, 79, "    ")
}

// wrapWords joins words with spaces, breaking lines before width; later
// lines start with indent.
func wrapWords(words []string, width int, indent string) string {
	var b strings.Builder
	col := 0
	for i, w := range words {
		switch {
		case i == 0:
		case col+1+len(w) > width:
			b.WriteString("\n" + indent)
			col = len(indent)
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

var flagErrorRE = []struct {
	re   *regexp.Regexp
	text string // with $name, $value, $why
}{
	{regexp.MustCompile(`^flag provided but not defined: -+(.*)$`), "unknown flag $name"},
	{regexp.MustCompile(`^flag needs an argument: -+(.*)$`), "$name needs a value"},
	{regexp.MustCompile(`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-+([^:]*): (.*)$`), "invalid value $value for $name: $why"},
}

// flagErrorText rewrites the flag package's messages about fs, which
// spell every flag with one dash (-bogus, -jobs), the way help spells
// them: --bogus, --jobs, -f; its bare "parse error" says what was wanted.
func flagErrorText(fs *flag.FlagSet, msg string) string {
	for _, r := range flagErrorRE {
		m := r.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		var name, value, why string
		if len(m) == 2 {
			name = m[1]
		} else {
			value, name, why = m[1], m[2], m[3]
		}
		if f := fs.Lookup(name); f != nil && why == "parse error" {
			why = "not a number"
			if isBool(f) {
				why = "want true or false"
			}
		}
		return strings.NewReplacer("$name", dashed(name), "$value", value, "$why", why).Replace(r.text)
	}
	return msg
}
