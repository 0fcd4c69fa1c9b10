package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/lafs-backup/lafs-backup/config"
)

// Exit codes: the one place they are defined (docs/cli.md, Exit codes). Commands return
// errors; exitCode maps them here.
const (
	exitOK            = 0   // success
	exitFatal         = 1   // fatal error
	exitUsage         = 2   // usage or configuration error
	exitPartial       = 3   // backup/restore made, some entries skipped or refused, or a result destination failed
	exitLocked        = 4   // another run holds the lock
	exitNoSource      = 5   // source.path matched nothing (or nothing old enough / ready)
	exitDifferences   = 6   // check/verify found differences or unhealthy (recoverable) objects
	exitUnrecoverable = 7   // something unrecoverable, or a backup unreadable
	exitSIGINT        = 130 // stopped by SIGINT
	exitSIGTERM       = 143 // stopped by SIGTERM
)

// Sentinel errors commands return (wrapped, with context) to select an exit
// code. A command that needs another code returns an *exitError (see
// coded): check and verify do, since their own message says what they
// found and a generic suffix would only repeat it, or be wrong.
var (
	errPartial  = errors.New("some entries were skipped")
	errLocked   = errors.New("another run holds the lock")
	errNoSource = errors.New("source matched nothing")
)

// exitError carries an explicit exit code. Err may be nil when the command
// has already said everything (e.g. a summary on stdout).
type exitError struct {
	Code int
	Err  error
}

func (e *exitError) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

func (e *exitError) Unwrap() error { return e.Err }

// coded is an error with the message given and the exit code code.
func coded(code int, format string, a ...any) error {
	return &exitError{Code: code, Err: fmt.Errorf(format, a...)}
}

// usageError is a bad command line; the message is followed by a pointer to
// --help.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	var (
		ee       *exitError
		ue       *usageError
		problems config.Problems
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &ue), errors.As(err, &problems):
		return exitUsage
	case errors.Is(err, errPartial):
		return exitPartial
	case errors.Is(err, errLocked):
		return exitLocked
	case errors.Is(err, errNoSource):
		return exitNoSource
	}
	return exitFatal
}

// signalStop is the cause of a context cancelled by a stop signal.
type signalStop struct{ sig os.Signal }

func (s signalStop) Error() string { return "stopped by " + s.sig.String() }

// signalExitCode is the exit code after a stop signal (128 + number).
func signalExitCode(sig os.Signal) int {
	if sig == syscall.SIGTERM {
		return exitSIGTERM
	}
	return exitSIGINT
}

// exitCodeHelp documents the codes in --help and the README.
var exitCodeHelp = []struct {
	Code int
	Text string
}{
	{exitOK, "success"},
	{exitFatal, "fatal error"},
	{exitUsage, "usage or configuration error"},
	{exitPartial, "backup or restore made, but some entries were skipped, a file kept changing, the storage servers refused objects for now, or a result destination failed"},
	{exitLocked, "another run holds the lock on the entry cache"},
	{exitNoSource, "source.path matched nothing (or no match was old enough or ready)"},
	{exitDifferences, "check or verify found differences or unhealthy (recoverable) objects"},
	{exitUnrecoverable, "check found something unrecoverable, or a backup could not be read"},
	{exitSIGINT, "stopped by SIGINT (Ctrl-C)"},
	{exitSIGTERM, "stopped by SIGTERM"},
}

// isCancel reports whether err is only the context being cancelled.
func isCancel(err error) bool {
	return errors.Is(err, context.Canceled)
}
