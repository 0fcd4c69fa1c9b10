// Command lafs-backup pushes incremental backups of file trees to a
// Tahoe-LAFS grid.
//
//	lafs-backup [-c FILE]... [-v|--debug|--noise] [--json] COMMAND [ARGS]
//
// Run "lafs-backup --help" for the commands and exit codes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/lafs-backup/lafs-backup/config"
	"github.com/lafs-backup/lafs-backup/internal/logx"
	"github.com/lafs-backup/lafs-backup/lafsapi"
)

const progName = "lafs-backup"

func main() {
	ctx, caught := stopOnSignals(context.Background())
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	if sig := caught.Load(); sig != nil {
		code = signalExitCode(*sig)
	}
	os.Exit(code)
}

// stopOnSignals returns a context cancelled by the first SIGINT or SIGTERM
// (recorded in the returned pointer); a second signal exits at once.
func stopOnSignals(parent context.Context) (context.Context, *atomic.Pointer[os.Signal]) {
	ctx, cancel := context.WithCancelCause(parent)
	var caught atomic.Pointer[os.Signal]
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-ch
		caught.Store(&sig)
		std := stdio{err: os.Stderr, json: jsonStderr.Load()}
		std.note(fmt.Sprintf("%v: stopping (send again to exit at once)", sig), "signal", sig.String())
		cancel(signalStop{sig}) // context.Cause tells commands which signal (runExitCode)
		sig = <-ch
		os.Exit(signalExitCode(sig))
	}()
	return ctx, &caught
}

// run is the whole program minus the process: parse, load config, dispatch,
// and map the result to an exit code. Tests call it directly.
func run(ctx context.Context, args []string, std stdio) int {
	var g globals
	root := newFlagSet(progName)
	g.register(root)
	err := root.Parse(args)
	std.json = g.json || err != nil && mentionsJSON(args)
	if err != nil {
		if isHelp(err) {
			printMainHelp(std.out)
			return exitOK
		}
		return usage(std, "", flagErrorText(root, err.Error()))
	}
	jsonStderr.Store(g.json)
	rest := root.Args()
	if g.version {
		return report(std, "version", printVersion(std.out, g.json, buildVersionOf(debug.ReadBuildInfo())))
	}
	if len(rest) == 0 {
		return usage(std, "", "no command given")
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		return helpCommand(std, rest)
	}
	cmd := findCommand(name)
	if cmd == nil {
		return usage(std, "", fmt.Sprintf("unknown command %q", name))
	}
	fs := newFlagSet(name)
	runCmd := cmd.Setup(fs)
	g.register(fs)
	pos, err := parseInterleaved(fs, rest)
	std.json = g.json || err != nil && mentionsJSON(rest)
	jsonStderr.Store(g.json)
	if err != nil {
		if isHelp(err) {
			printCommandHelp(std.out, cmd)
			return exitOK
		}
		return usage(std, name, flagErrorText(fs, err.Error()))
	}
	if g.version {
		return report(std, "version", printVersion(std.out, g.json, buildVersionOf(debug.ReadBuildInfo())))
	}
	e, err := newEnv(&g, std, !cmd.NoConfig)
	if err == nil {
		for _, w := range deprecationWarnings(fs) {
			e.Log.Warn(name + ": " + w)
		}
		err = explainUnreachable(e, runCmd(ctx, e, pos))
	}
	return report(std, name, err)
}

// newEnv sets up logging and, with load, loads the configuration.
func newEnv(g *globals, std stdio, load bool) (*env, error) {
	e := &env{Level: g.level(), JSON: g.json, Stdin: std.in, Stdout: std.out, Stderr: std.err}
	e.Log = logx.New(std.err, logx.Options{Level: e.Level, JSON: g.json, Prefix: progName})
	if !load {
		return e, nil
	}
	cfg, warnings, err := config.Load(g.configs)
	for _, w := range warnings {
		e.Log.Warn("config: " + w.String())
	}
	if err != nil {
		return nil, err
	}
	if cfg.Logging.Tag != "" {
		e.Log = e.Log.With("tag", cfg.Logging.Tag)
	}
	e.Config, e.Warnings = cfg, warnings
	return e, nil
}

// usage reports a command-line mistake (exit 2). Like every message, it
// never shows a cap, not even one the user typed (docs/cli.md).
func usage(std stdio, cmd, msg string) int {
	help := progName + " --help"
	if cmd != "" {
		help = progName + " " + cmd + " --help"
	}
	msg = lafsapi.RedactCaps(msg)
	if std.json {
		std.errorRecord(msg, "command", cmd, "usage", help)
		return exitUsage
	}
	fmt.Fprintf(std.err, "%s: %s\nRun '%s' for usage.\n", progName, msg, help)
	return exitUsage
}

// report prints a command's error (if any), caps redacted, and returns the
// exit code.
func report(std stdio, cmd string, err error) int {
	code := exitCode(err)
	var (
		problems config.Problems
		ue       *usageError
	)
	switch {
	case err == nil || err.Error() == "":
	case errors.As(err, &problems):
		texts := make([]string, len(problems))
		for i, p := range problems {
			texts[i] = lafsapi.RedactCaps(p.String())
		}
		if std.json {
			std.errorRecord("configuration problems", "problems", texts)
			break
		}
		fmt.Fprintf(std.err, "%s: configuration problems:\n", progName)
		for _, t := range texts {
			fmt.Fprintf(std.err, "  %s\n", t)
		}
	case errors.As(err, &ue):
		return usage(std, cmd, ue.msg)
	case isCancel(err):
		std.commandError(cmd, "stopped")
	default:
		std.commandError(cmd, lafsapi.RedactCaps(strings.TrimSpace(err.Error())))
	}
	return code
}

// flagSetFor builds a command's flag set as run does, for help output.
func flagSetFor(cmd *command) *flag.FlagSet {
	fs := newFlagSet(cmd.Name)
	cmd.Setup(fs)
	new(globals).register(fs)
	return fs
}
