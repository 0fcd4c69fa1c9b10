// Package needs lets a test state what it needs from the machine (root, a
// program, a kernel feature, time) and decides what happens when that is
// missing: a skip naming it on a developer's machine, a failure under
// CI=true, where every test must run (docs/testing.md). With -short, tests
// marked Long are skipped, for a quick local loop; CI never passes -short.
//
// Only tests use it (docs/packages.md, rule 7).
package needs

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// CI reports whether the tests run under CI=true: nothing may be skipped
// for want of a tool, root or a grid.
func CI() bool { return os.Getenv("CI") == "true" }

// Unmet stops t because something it needs is missing: a skip with the
// reason, or under CI=true a failure.
func Unmet(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("needed under CI=true: %s", msg)
	}
	t.Skip(msg)
}

// Root needs the effective uid 0; why says what for.
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Unmet(t, "needs root (%s)", why)
	}
}

// Tools needs every program named on PATH.
func Tools(t testing.TB, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		Unmet(t, "needs %s on PATH", strings.Join(missing, ", "))
	}
}

// Long marks a test that -short skips: one that needs a real grid, builds
// the binary or runs for long. what says which. Under CI=true, -short is
// refused: CI runs the full set.
func Long(t testing.TB, what string) {
	t.Helper()
	if !testing.Short() {
		return
	}
	if CI() {
		t.Fatalf("-short under CI=true would skip %s: CI runs every test", what)
	}
	t.Skipf("-short: skips %s", what)
}
