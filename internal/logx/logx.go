// Package logx sets up lafs-backup's logging: log/slog to stderr, with a
// "noise" level below debug for per-path messages.
//
// Levels, from quiet to loud: error, warn (the default: what cron should
// mail), info, debug, and noise (one line per path). Command results and
// summaries are not logs: commands print them to stdout themselves.
package logx

import (
	"context"
	"io"
	"log/slog"
)

// LevelNoise is below slog.LevelDebug: per-path messages.
const LevelNoise = slog.Level(-8)

// Options selects the level and format of a logger.
type Options struct {
	Level slog.Level // slog.LevelWarn, LevelInfo, LevelDebug or LevelNoise
	// JSON: one JSON object per record. Otherwise one line in the
	// program's message format: "PREFIX: warning: MSG key=value ...".
	JSON   bool
	Tag    string // added to every record as tag=... when not empty
	Prefix string // the program's name, starting every text line
}

// New returns a logger writing to w (normally os.Stderr).
func New(w io.Writer, o Options) *slog.Logger {
	var h slog.Handler
	if o.JSON {
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: o.Level, ReplaceAttr: replaceLevel})
	} else {
		h = newHuman(w, o.Prefix, o.Level)
	}
	l := slog.New(h)
	if o.Tag != "" {
		l = l.With("tag", o.Tag)
	}
	return l
}

// Discard returns a logger that drops everything (for tests and libraries
// given no logger).
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Noise logs at LevelNoise.
func Noise(ctx context.Context, l *slog.Logger, msg string, args ...any) {
	l.Log(ctx, LevelNoise, msg, args...)
}

// LevelName names a level as the flags do: "noise", "debug", "info",
// "warn", "error".
func LevelName(l slog.Level) string {
	switch {
	case l <= LevelNoise:
		return "noise"
	case l <= slog.LevelDebug:
		return "debug"
	case l <= slog.LevelInfo:
		return "info"
	case l <= slog.LevelWarn:
		return "warn"
	}
	return "error"
}

// replaceLevel prints LevelNoise as NOISE instead of DEBUG-4.
func replaceLevel(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.LevelKey && len(groups) == 0 {
		if l, ok := a.Value.Any().(slog.Level); ok && l <= LevelNoise {
			a.Value = slog.StringValue("NOISE")
		}
	}
	return a
}
