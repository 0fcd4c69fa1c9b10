package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

const mainSynopsis = progName + " [-c FILE]... [-v|--debug|--noise] [--json] COMMAND [ARGS]\n       " + progName + " --version"

// printMainHelp lists the commands, global flags and exit codes.
func printMainHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n", mainSynopsis)
	fmt.Fprintf(w, "Push incremental backups of file trees to a Tahoe-LAFS grid.\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintf(w, "\nGlobal flags (also accepted after COMMAND):\n")
	fs := newFlagSet(progName)
	new(globals).register(fs)
	printFlags(w, fs, func(string) bool { return true })
	printExitCodes(w)
	fmt.Fprintf(w, "\nRun '%s COMMAND --help' for a command's flags.\n", progName)
}

// printCommandHelp shows one command's usage, flags and exit codes.
func printCommandHelp(w io.Writer, c *command) {
	fs := flagSetFor(c)
	fmt.Fprintf(w, "%s\n\n%s\n", usageLine(c, fs), c.Summary)
	if c.Help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(c.Help, "\n"))
	}
	hasOwn := false
	fs.VisitAll(func(f *flag.Flag) { hasOwn = hasOwn || !globalFlagNames[f.Name] })
	if hasOwn {
		fmt.Fprintf(w, "\nFlags (before or after the arguments):\n")
		printFlags(w, fs, func(n string) bool { return !globalFlagNames[n] })
	}
	fmt.Fprintf(w, "\nGlobal flags:\n")
	printFlags(w, fs, func(n string) bool { return globalFlagNames[n] })
	printExitCodes(w)
}

func printExitCodes(w io.Writer) {
	fmt.Fprintf(w, "\nExit codes:\n")
	for _, e := range exitCodeHelp {
		fmt.Fprintf(w, "  %3d  %s\n", e.Code, e.Text)
	}
}

// helpCommand is "lafs-backup help [COMMAND]".
func helpCommand(std stdio, args []string) int {
	if len(args) == 0 {
		printMainHelp(std.out)
		return exitOK
	}
	c := findCommand(args[0])
	if c == nil {
		return usage(std, "", fmt.Sprintf("unknown command %q", args[0]))
	}
	printCommandHelp(std.out, c)
	return exitOK
}
