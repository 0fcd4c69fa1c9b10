package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"

	"github.com/lafs-backup/lafs-backup/internal/logx"
)

// With --json all of stderr is JSON lines; without it, one human format
// (docs/cli.md, Output and logs). The program's own messages below, which
// are not logs, follow the same rule: a JSON record like a log record's,
// or a "lafs-backup: ..." line.

// mentionsJSON says whether --json is among args (before "--"), for a
// command line the flag parser gave up on before reaching it.
func mentionsJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "-json", "--json=true", "-json=true":
			return true
		}
	}
	return false
}

// jsonStderr tells the signal handler, which runs outside run, whether
// --json was given.
var jsonStderr atomic.Bool

// errorRecord writes one JSON error record (time, level, msg, attrs).
func (std stdio) errorRecord(msg string, attrs ...any) {
	jsonLog(std).Error(msg, attrs...)
}

// commandError reports a command's final error: "lafs-backup: CMD: MSG",
// or a JSON record with the command.
func (std stdio) commandError(cmd, msg string) {
	if std.json {
		std.errorRecord(msg, "command", cmd)
		return
	}
	fmt.Fprintf(std.err, "%s: %s: %s\n", progName, cmd, msg)
}

// note is a message shown whatever the log level: "lafs-backup: MSG",
// or a JSON record at warn level.
func (std stdio) note(msg string, attrs ...any) {
	if std.json {
		jsonLog(std).Warn(msg, attrs...)
		return
	}
	fmt.Fprintf(std.err, "%s: %s\n", progName, msg)
}

func jsonLog(std stdio) *slog.Logger {
	return logx.New(std.err, logx.Options{Level: slog.LevelWarn, JSON: true})
}

// jsonLine writes obj as one JSON line on the env's stderr: what a
// command shows there with --json instead of a text line.
func (e *env) jsonLine(obj any) {
	writeJSONLine(e.Stderr, obj)
}

func writeJSONLine(w io.Writer, obj any) { json.NewEncoder(w).Encode(obj) }
