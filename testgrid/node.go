package testgrid

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// node is one `tahoe run` process and its directory.
type node struct {
	name     string
	dir      string
	tahoe    string
	detached bool // outlives this process: --allow-stdin-close, own session

	mu    sync.Mutex
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{} // closed when the process has been waited for
}

// logPath is where the node's stdout and stderr go.
func (n *node) logPath() string { return filepath.Join(n.dir, "testgrid.log") }

// start runs `tahoe run` for the node unless it is running already.
//
// An attached node gets a stdin pipe and no --allow-stdin-close, so it exits
// when this process dies, however it dies. A detached node (the grid for
// people) gets --allow-stdin-close and its own session.
func (n *node) start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		return nil
	}
	if pid := runningPid(n.dir); pid != 0 {
		return fmt.Errorf("%s is already running (pid %d)", n.dir, pid)
	}
	// The pid file of a killed node makes `tahoe run` refuse when its pid has
	// been reused; we know our node is not running, so it is stale.
	os.Remove(filepath.Join(n.dir, "running.process"))
	os.Remove(filepath.Join(n.dir, "running.process.lock"))
	logf, err := os.OpenFile(n.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	args := []string{"run"}
	if n.detached {
		args = append(args, "--allow-stdin-close")
	}
	cmd := exec.Command(n.tahoe, append(args, n.dir)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: !n.detached, Setsid: n.detached}
	var stdin io.WriteCloser
	if !n.detached {
		if stdin, err = cmd.StdinPipe(); err != nil {
			return err
		}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", n.name, err)
	}
	n.cmd, n.stdin, n.done = cmd, stdin, make(chan struct{})
	go func(done chan struct{}) {
		cmd.Wait()
		close(done)
	}(n.done)
	return nil
}

// exited reports whether a started process has already ended.
func (n *node) exited() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

// stop ends the node's process group: SIGTERM, then SIGKILL after grace.
func (n *node) stop(grace time.Duration) error {
	n.mu.Lock()
	cmd, stdin, done := n.cmd, n.stdin, n.done
	n.cmd, n.stdin, n.done = nil, nil, nil
	n.mu.Unlock()
	if cmd == nil {
		return nil
	}
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	if stdin != nil {
		stdin.Close()
	}
	select {
	case <-done:
		return nil
	case <-time.After(grace):
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-done:
		return nil
	case <-time.After(grace):
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", n.name, pgid)
	}
}

// logTail returns the last lines of the node's log, for error messages.
func (n *node) logTail() string {
	data, err := os.ReadFile(n.logPath())
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return strings.Join(lines, "\n")
}

// runningPid returns the pid of a live `tahoe run` for dir, from its
// running.process file, or 0.
func runningPid(dir string) int {
	data, err := os.ReadFile(filepath.Join(dir, "running.process"))
	if err != nil {
		return 0
	}
	fields := bytes.Fields(data)
	if len(fields) == 0 {
		return 0
	}
	pid, err := strconv.Atoi(string(fields[0]))
	if err != nil || pid <= 1 {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte(dir)) {
		return 0 // gone, or the pid now belongs to another process
	}
	return pid
}

// stopDetached ends a node started by another process.
func stopDetached(dir string, grace time.Duration) error {
	pid := runningPid(dir)
	if pid == 0 || syscall.Kill(pid, syscall.SIGTERM) != nil {
		return nil
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if runningPid(dir) == 0 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return nil
	}
	time.Sleep(100 * time.Millisecond)
	if runningPid(dir) != 0 {
		return fmt.Errorf("%s: pid %d survived SIGKILL", dir, pid)
	}
	return nil
}

// running reports whether the node has a live process.
func (n *node) running() bool {
	n.mu.Lock()
	started := n.cmd != nil
	n.mu.Unlock()
	return started && !n.exited()
}
