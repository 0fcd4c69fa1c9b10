package testgrid

import (
	"os"
	"sync"
	"testing"

	"github.com/lafs-backup/lafs-backup/internal/needs"
)

var (
	sharedOnce sync.Once
	shared     *Grid
	sharedErr  error
)

// Main is TestMain for packages that use the grid: it runs the tests, then
// stops the shared grid (if one was started) and exits. Grids from New stop
// with their test. If the test binary dies instead (panic, timeout, kill),
// the nodes see their stdin close and exit by themselves.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	os.Exit(code)
}

// Shared returns the test binary's grid, starting it on first use. Tests
// must not stop or restart its nodes (use New for that). Without Tahoe it
// skips the test, or fails it under CI=true.
func Shared(t testing.TB) *Grid {
	t.Helper()
	needs.Long(t, "tests on a real grid")
	sharedOnce.Do(func() {
		shared, sharedErr = Start(Options{})
		if shared != nil {
			shared.shared = true
		}
	})
	if sharedErr != nil {
		unavailable(t, sharedErr)
	}
	return shared
}

// New starts a grid of the test's own (for fault tests) in a directory
// removed after the test; it is stopped when the test ends.
func New(t testing.TB, opts Options) *Grid {
	t.Helper()
	needs.Long(t, "tests on a real grid")
	if opts.Dir == "" {
		opts.Dir = t.TempDir() // registered first, so removed after Stop
	}
	g, err := Start(opts)
	if err != nil {
		unavailable(t, err)
	}
	t.Cleanup(func() {
		if err := g.Stop(); err != nil {
			t.Errorf("testgrid: stop: %v", err)
		}
	})
	return g
}

// Required reports whether a missing grid is a failure (CI=true) rather
// than a skip.
func Required() bool { return needs.CI() }

func unavailable(t testing.TB, err error) {
	t.Helper()
	if Required() {
		t.Fatalf("testgrid: real grid required under CI=true: %v", err)
	}
	needs.Unmet(t, "testgrid: %s", firstLine(err.Error()))
}
