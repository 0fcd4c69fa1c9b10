package testgrid

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// TahoeVersion is the Tahoe-LAFS release the project tests against.
const TahoeVersion = "1.20.0"

// VenvDir returns the virtualenv directory testgrid uses: $LAFS_TAHOE_VENV,
// or .tahoe-venv at the root of the repository holding the working
// directory.
func VenvDir() string {
	if v := os.Getenv("LAFS_TAHOE_VENV"); v != "" {
		return v
	}
	if root, err := repoRoot(); err == nil {
		return filepath.Join(root, ".tahoe-venv")
	}
	return ".tahoe-venv"
}

// repoRoot walks up from the working directory to the directory holding
// go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

var found sync.Map // venv dir -> tahoe path that said TahoeVersion

// FindTahoe returns the path of a usable tahoe executable of TahoeVersion,
// or an error that says how to get one. A success is remembered for the
// life of the process (asking costs a Python start-up).
func FindTahoe() (string, error) {
	venv := VenvDir()
	if bin, ok := found.Load(venv); ok {
		return bin.(string), nil
	}
	bin := filepath.Join(venv, "bin", "tahoe")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("no Tahoe-LAFS at %s: run scripts/tahoe-venv (or set LAFS_TAHOE_VENV)", bin)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %v: %s", bin, err, firstLine(string(out)))
	}
	if !strings.Contains(string(out), TahoeVersion) {
		return "", fmt.Errorf("%s is %q, want %s: run scripts/tahoe-venv", bin, firstLine(string(out)), TahoeVersion)
	}
	found.Store(venv, bin)
	return bin, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
