package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of utime and stime in /proc/PID/stat
// (100 on every Linux the project runs on).
const clockTick = 100

// gridPIDs finds the processes of the grid's gateway and storage nodes
// from their running.process files.
func gridPIDs(dirs []string) ([]int, error) {
	var pids []int
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "running.process"))
		if err != nil {
			return nil, err
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return nil, fmt.Errorf("%s: empty running.process", d)
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil {
			return nil, fmt.Errorf("%s: running.process: %w", d, err)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// cpuOf returns the user+system CPU time the processes have used so far
// (processes that are gone count 0).
func cpuOf(pids []int) time.Duration {
	var ticks int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the ")" closing the command name: state is 3rd,
		// utime the 14th and stime the 15th of the whole line.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * time.Second / clockTick
}
