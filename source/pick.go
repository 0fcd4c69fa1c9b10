// Package source picks the directory a backup run reads: the last match of
// the source.path glob, in byte order, that is ready to be backed up
// (docs/source-pick.md).
package source

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ErrNoSource means the pattern matched nothing usable; the CLI maps it to
// its own exit code.
var ErrNoSource = errors.New("no source to back up")

// PickOptions say which matches are ready.
type PickOptions struct {
	// MinAge skips matches modified less than MinAge ago (the mtime of the
	// match itself), so a snapshot rsync is still writing is left alone.
	MinAge time.Duration
	// ReadyMarker, when set, is a path relative to the match that must
	// exist (lstat) for the match to be used.
	ReadyMarker string
	// Now is the current time for MinAge; zero means time.Now().
	Now time.Time
	// Logger receives one line per newer match that was passed over.
	Logger *slog.Logger
}

// Pick expands the glob pattern (filepath.Glob syntax), sorts the matches
// by bytes and returns the last one that is a directory (following a
// symlink), is at least MinAge old and holds ReadyMarker. When none
// qualifies the error wraps ErrNoSource and says why for the newest few.
func Pick(pattern string, o PickOptions) (string, error) {
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return "", fmt.Errorf("source: bad pattern %q: %w", pattern, err)
	}
	if len(matches) == 0 {
		return "", fmt.Errorf("%w: source.path %q matched nothing", ErrNoSource, pattern)
	}
	slices.Sort(matches)
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	var passed []string
	for i := len(matches) - 1; i >= 0; i-- {
		m := matches[i]
		why := unusable(m, &o)
		if why == "" {
			return m, nil
		}
		if o.Logger != nil {
			o.Logger.Info("source match passed over", "path", m, "reason", why)
		}
		passed = append(passed, fmt.Sprintf("%q %s", m, why))
	}
	if len(passed) > 3 {
		passed = append(passed[:3], fmt.Sprintf("and %d more", len(passed)-3))
	}
	return "", fmt.Errorf("%w: none of the %d matches of source.path %q is ready: %s",
		ErrNoSource, len(matches), pattern, strings.Join(passed, "; "))
}

// unusable says why match m cannot be backed up now, or "".
func unusable(m string, o *PickOptions) string {
	fi, err := os.Stat(m)
	if err != nil {
		return "cannot be read: " + err.Error()
	}
	if !fi.IsDir() {
		return "is not a directory"
	}
	if age := o.Now.Sub(fi.ModTime()); o.MinAge > 0 && age < o.MinAge {
		return fmt.Sprintf("was modified %s ago (source.min_age %s)", age.Round(time.Second), o.MinAge)
	}
	if o.ReadyMarker != "" {
		if _, err := os.Lstat(filepath.Join(m, o.ReadyMarker)); err != nil {
			return fmt.Sprintf("has no ready marker %q", o.ReadyMarker)
		}
	}
	return ""
}
