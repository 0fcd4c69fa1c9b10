package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/lafs-backup/lafs-backup/internal/logx"
)

// globals are the flags every command accepts, before or after its name.
type globals struct {
	configs stringList
	verbose bool
	debug   bool
	noise   bool
	json    bool
	version bool
}

// register adds the global flags to fs. The current values are the
// defaults, so flags parsed before the command name survive registering
// them again on the command's flag set.
func (g *globals) register(fs *flag.FlagSet) {
	fs.Var(&g.configs, "c", "")
	fs.Var(&g.configs, "config", "layer config `FILE` over the base (repeatable; later files win)")
	fs.BoolVar(&g.verbose, "v", g.verbose, "")
	fs.BoolVar(&g.verbose, "verbose", g.verbose, "log at info level")
	fs.BoolVar(&g.debug, "debug", g.debug, "log at debug level")
	fs.BoolVar(&g.noise, "noise", g.noise, "log at noise level (one line per path)")
	fs.BoolVar(&g.json, "json", g.json, "machine-readable output on stdout (and JSON logs on stderr)")
	fs.BoolVar(&g.version, "version", g.version, "print the version (as the version command) and exit")
}

func (g *globals) level() slog.Level {
	switch {
	case g.noise:
		return logx.LevelNoise
	case g.debug:
		return slog.LevelDebug
	case g.verbose:
		return slog.LevelInfo
	}
	return slog.LevelWarn
}

// globalFlagNames tells --help which flags are global.
var globalFlagNames = func() map[string]bool {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	new(globals).register(fs)
	m := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { m[f.Name] = true })
	return m
}()

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// optionalString is a flag given bare (--queue-only) or with a value
// (--queue-only=PATH). Given reports whether it was on the command line.
type optionalString struct {
	Given bool
	Value string
}

func (o *optionalString) String() string { return o.Value }

func (o *optionalString) IsBoolFlag() bool { return true }

func (o *optionalString) Set(s string) error {
	switch s {
	case "true":
		o.Given = true
	case "false":
		o.Given, o.Value = false, ""
	default:
		o.Given, o.Value = true, s
	}
	return nil
}

// parseInterleaved parses fs over args where flags may come before, between
// or after positional arguments; "--" ends flags. It returns the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// newFlagSet returns a flag set that reports errors instead of printing.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// isHelp reports whether a parse error is -h/--help.
func isHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }

// printFlags writes the flags of fs selected by keep, aliases together,
// "-c, --config FILE" style.
func printFlags(w io.Writer, fs *flag.FlagSet, keep func(name string) bool) {
	type entry struct {
		names []string
		f     *flag.Flag
	}
	var entries []*entry
	byValue := map[flag.Value]*entry{}
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
		e := &entry{names: []string{f.Name}, f: f}
		byValue[f.Value] = e
		entries = append(entries, e)
	})
	sort.Slice(entries, func(i, j int) bool { return longest(entries[i].names) < longest(entries[j].names) })
	for _, e := range entries {
		sort.Slice(e.names, func(i, j int) bool { return len(e.names[i]) < len(e.names[j]) })
		dashed := make([]string, len(e.names))
		for i, n := range e.names {
			dashed[i] = "--" + n
			if len(n) == 1 {
				dashed[i] = "-" + n
			}
		}
		arg, usage := flag.UnquoteUsage(e.f)
		if isBool(e.f) {
			arg = ""
		}
		line := "  " + strings.Join(dashed, ", ")
		if arg != "" {
			line += " " + arg
		}
		fmt.Fprintf(w, "%s\n      %s%s\n", line, usage, defaultText(e.f))
	}
}

func longest(names []string) string {
	l := ""
	for _, n := range names {
		if len(n) > len(l) {
			l = n
		}
	}
	return l
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func defaultText(f *flag.Flag) string {
	if isBool(f) || f.DefValue == "" || f.DefValue == "0" || f.DefValue == "0s" || f.DefValue == "[]" {
		return ""
	}
	return fmt.Sprintf(" (default %s)", f.DefValue)
}
