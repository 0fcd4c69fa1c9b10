package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
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
	fs.Var(&g.configs, "config", "layer config `FILE` over the base (repeatable; later files win)")
	alias(fs, "c", "config")
	fs.BoolVar(&g.verbose, "verbose", g.verbose, "log at info level")
	alias(fs, "v", "verbose")
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

// Repeatable marks it "..." in usage lines.
func (s *stringList) Repeatable() bool { return true }

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
