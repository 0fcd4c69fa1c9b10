package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// result is one measured run of a command.
type result struct {
	Wall   time.Duration
	CPU    time.Duration // user + system of the process and its waited-for children
	Grid   time.Duration // user + system of the gateway and storage nodes meanwhile
	RSSKiB int64         // peak resident set (ru_maxrss, what /usr/bin/time -v prints)
	Reqs   requests      // gateway requests through the proxy during the run
	Stdout string
	Stderr string
}

func (r result) RSSMB() float64 { return float64(r.RSSKiB) * 1024 / 1e6 }

// measure runs argv, counting the proxy's requests during the run. okCodes
// are the exit codes that count as success (0 when none is given).
func (b *bench) measure(ctx context.Context, argv []string, okCodes ...int) (result, error) {
	if len(okCodes) == 0 {
		okCodes = []int{0}
	}
	b.proxy.take() // forget anything earlier (set-up requests)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	grid0 := cpuOf(b.gridPIDs)
	start := time.Now()
	err := cmd.Run()
	res := result{Wall: time.Since(start), Reqs: b.proxy.take(), Stdout: stdout.String(), Stderr: stderr.String(),
		Grid: cpuOf(b.gridPIDs) - grid0}
	if ps := cmd.ProcessState; ps != nil {
		res.CPU = ps.UserTime() + ps.SystemTime()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			res.RSSKiB = ru.Maxrss
		}
		for _, c := range okCodes {
			if ps.ExitCode() == c {
				err = nil
			}
		}
	}
	if err != nil {
		return res, fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, tail(res.Stderr, 20))
	}
	return res, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// output runs argv and returns its trimmed standard output.
func output(argv ...string) (string, error) {
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	return strings.TrimSpace(string(out)), err
}
