package main

import "runtime/debug"

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT sets
// one (GOMEMLIMIT=off restores the plain GOGC behaviour).
//
// The xz encoder keeps about 50 MB live for an 8 MiB dictionary and
// allocates about 2 bytes of garbage per byte it compresses; with GOGC
// alone the heap grew to twice the live size, and a backup of one large
// compressible file peaked at 115 MB RSS against the 100 MB target
// (bench/results.md). With this limit the collector runs earlier instead:
// 84 MB, at no measurable cost in time (the big buffers hold no pointers,
// so each collection is cheap). A run whose live heap really exceeds the
// limit still works; the collector then takes up to half the CPU.
const defaultMemoryLimit = 80 << 20

// setMemoryLimit applies defaultMemoryLimit unless the environment names
// a limit of its own.
func setMemoryLimit(getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
