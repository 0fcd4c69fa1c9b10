package logx

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLevels(t *testing.T) {
	cases := []struct {
		level slog.Level
		want  []string // messages that must appear
		not   []string // messages that must not
	}{
		{slog.LevelWarn, []string{"e", "w"}, []string{"i", "d", "n"}},
		{slog.LevelInfo, []string{"e", "w", "i"}, []string{"d", "n"}},
		{slog.LevelDebug, []string{"e", "w", "i", "d"}, []string{"n"}},
		{LevelNoise, []string{"e", "w", "i", "d", "n"}, nil},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		l := New(&buf, Options{Level: c.level})
		l.Error("e")
		l.Warn("w")
		l.Info("i")
		l.Debug("d")
		Noise(context.Background(), l, "n")
		out := buf.String()
		for _, m := range c.want {
			if !strings.Contains(out, ": "+m+"\n") {
				t.Errorf("level %s: %q missing from\n%s", LevelName(c.level), m, out)
			}
		}
		for _, m := range c.not {
			if strings.Contains(out, ": "+m+"\n") {
				t.Errorf("level %s: %q logged:\n%s", LevelName(c.level), m, out)
			}
		}
	}
}

func TestNoiseNameAndTag(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, Options{Level: LevelNoise, Tag: "weekly"})
	Noise(context.Background(), l, "path")
	if got := buf.String(); got != "noise: path tag=weekly\n" {
		t.Errorf("got %q, want noise: path tag=weekly", got)
	}
	buf.Reset()
	New(&buf, Options{Level: LevelNoise, JSON: true}).Log(context.Background(), LevelNoise, "x")
	if got := buf.String(); !strings.Contains(got, `"level":"NOISE"`) {
		t.Errorf("JSON: got %q", got)
	}
}

func TestLevelName(t *testing.T) {
	for l, want := range map[slog.Level]string{
		LevelNoise: "noise", slog.LevelDebug: "debug", slog.LevelInfo: "info",
		slog.LevelWarn: "warn", slog.LevelError: "error",
	} {
		if got := LevelName(l); got != want {
			t.Errorf("LevelName(%v) = %q, want %q", l, got, want)
		}
	}
}

// TestHumanFormat: text logs read like the program's other messages, one
// line per record, values quoted only when they must be.
func TestHumanFormat(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, Options{Level: slog.LevelInfo, Prefix: "lafs-backup"}).With("tag", "nightly")
	l.Warn("entry failed", "path", "data/x", "reason", "open: permission denied")
	l.Info("done", "took", 1500*time.Millisecond, "n", 3, "empty", "", "err", errors.New("boom"))
	l.WithGroup("g").Error("bad", "k", `a"b`)
	want := `lafs-backup: warning: entry failed tag=nightly path=data/x reason="open: permission denied"
lafs-backup: info: done tag=nightly took=1.5s n=3 empty="" err=boom
lafs-backup: error: bad tag=nightly g.k="a\"b"
`
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
