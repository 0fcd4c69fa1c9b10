package main

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestSetMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	setMemoryLimit(getenv)
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Errorf("without GOMEMLIMIT the limit is %d, want %d", got, defaultMemoryLimit)
	}
	debug.SetMemoryLimit(1 << 30) // what the runtime took from GOMEMLIMIT
	env["GOMEMLIMIT"] = "1GiB"
	setMemoryLimit(getenv)
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("with GOMEMLIMIT set the limit became %d; it must be left alone", got)
	}
}
