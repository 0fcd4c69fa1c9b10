package logx

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
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
			if !strings.Contains(out, "msg="+m+"\n") {
				t.Errorf("level %s: %q missing from\n%s", LevelName(c.level), m, out)
			}
		}
		for _, m := range c.not {
			if strings.Contains(out, "msg="+m+"\n") {
				t.Errorf("level %s: %q logged:\n%s", LevelName(c.level), m, out)
			}
		}
	}
}

func TestNoiseNameAndTag(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, Options{Level: LevelNoise, Tag: "weekly"})
	Noise(context.Background(), l, "path")
	if got := buf.String(); !strings.Contains(got, "level=NOISE") || !strings.Contains(got, "tag=weekly") {
		t.Errorf("got %q, want level=NOISE and tag=weekly", got)
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
