// Package testgrid starts a real Tahoe-LAFS grid on loopback for tests and
// for people: one introducer, storage nodes (4 by default) and one client
// gateway, with shares.needed/happy/total = 2/3/4 and reserved_space = 0.
//
// Tests use it through Main, Shared and New:
//
//	func TestMain(m *testing.M) { testgrid.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		g := testgrid.Shared(t) // one grid per test binary, started on first use
//		... g.URL() ...
//	}
//
// A test that stops nodes or restarts the gateway takes a grid of its own
// with New. The tahoe binary comes from the virtualenv named by
// LAFS_TAHOE_VENV (default: .tahoe-venv at the repository root), made by
// scripts/tahoe-venv. When it is missing, tests skip with one line saying
// so, except under CI=true, where it is a failure. With -short, Shared and
// New skip the test (the quick local loop; internal/needs).
//
// Node directories are written directly (no `tahoe create-*`, which costs a
// Python start-up each), and every node runs as `tahoe run` with a stdin
// pipe held by this process, so the nodes exit when the test process dies,
// even after a panic or os.Exit.
//
// Ports are chosen free but released before the nodes bind them, so another
// process can take one in between (CI saw a gateway fail with "Address
// already in use"); Start then creates the new grid again with other ports,
// up to three times. A grid restarted in an existing directory keeps its
// ports and gets no such retry.
package testgrid
