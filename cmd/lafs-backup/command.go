package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/lafs-backup/lafs-backup/config"
)

// command is one subcommand. To add one, write cmd_<name>.go with a
// `var xxxCommand = &command{...}` and add it to commands below.
type command struct {
	Name    string // as typed: "dump-config"
	Summary string // one line for the command list
	// Args are the positional arguments after the name, e.g. "BACKUP
	// TARGET"; never flags: help generates those from the flag set.
	Args string
	Help string // longer description for --help (optional)
	// NoConfig: the command reads no configuration (version), so a broken
	// -c file does not stop it; env.Config is nil.
	NoConfig bool

	// Setup registers the command's flags on fs and returns the function
	// that runs it. It is called once per invocation, so flag values live in
	// the closure and tests can run commands repeatedly in one process.
	Setup func(fs *flag.FlagSet) runFunc
}

// runFunc runs a command with its positional arguments (flags already
// parsed, wherever they were on the line). Return nil, a config.Problems, a
// *usageError, an *exitError, or an error wrapping one of the sentinels in
// exitcodes.go; anything else exits 1.
type runFunc func(ctx context.Context, env *env, args []string) error

// commands is the command table, in the order --help lists them. Only
// commands that work are listed.
var commands = []*command{
	backupCommand,
	listCommand,
	cleanupCommand,
	checkCommand,
	restoreCommand,
	verifyCommand,
	lsCommand,
	diffCommand,
	findPathsCommand,
	dumpConfigCommand,
	filterTestCommand,
	versionCommand,
}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// env is what a command gets instead of globals.
type env struct {
	Config   *config.Config   // base + every -c file, validated
	Warnings []config.Warning // config warnings (already logged)
	Log      *slog.Logger     // to Stderr, at the level the flags chose
	Level    slog.Level       // that level
	JSON     bool             // --json: machine-readable output on Stdout

	Stdin  io.Reader
	Stdout io.Writer // command results only
	Stderr io.Writer // logs, progress, messages
}

// stdio is the process's standard streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
	json     bool // --json: everything on err is a JSON line
}
