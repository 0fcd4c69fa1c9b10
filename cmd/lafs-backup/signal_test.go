package main

import (
	"context"
	"os"
	"syscall"
	"testing"
)

// TestStopOnSignal checks that SIGTERM cancels the context and is recorded so
// main exits 143. (Only one signal is sent: a second would exit the test.)
func TestStopOnSignal(t *testing.T) {
	ctx, caught := stopOnSignals(context.Background())
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done()
	sig := caught.Load()
	if sig == nil || *sig != syscall.SIGTERM || signalExitCode(*sig) != exitSIGTERM {
		t.Errorf("caught %v", sig)
	}
}
