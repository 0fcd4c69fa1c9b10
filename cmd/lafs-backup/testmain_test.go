package main

import (
	"testing"

	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestMain stops the shared test grid (started by the first test that
// needs one) when the tests end.
func TestMain(m *testing.M) { testgrid.Main(m) }
