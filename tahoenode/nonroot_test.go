package tahoenode_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/tahoenode"
)

// TestReadAsNobody is the child of TestUnreadableSecretIsNamed: it reads
// the node directory in $TAHOENODE_READ as whoever runs it and prints the
// error.
func TestReadAsNobody(t *testing.T) {
	dir := os.Getenv("TAHOENODE_READ")
	if dir == "" {
		t.Skip("child process of TestUnreadableSecretIsNamed")
	}
	_, err := tahoenode.Read(dir)
	os.Stdout.WriteString("READ-ERROR: " + errString(err) + "\n")
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// Root reads everything, so "unreadable" needs another user: the test
// binary runs itself as nobody on a node directory whose private/secret is
// 0600 and owned by root.
func TestUnreadableSecretIsNamed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to nobody")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("setpriv (util-linux) is missing")
		}
		t.Skip("setpriv not installed")
	}
	dir, err := os.MkdirTemp("", "tahoenode-nonroot") // t.TempDir's parent is 0700
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	node := filepath.Join(dir, "node")
	copyDir(t, fixture("ok"), node)
	bin := filepath.Join(dir, "tahoenode.test")
	copyFile(t, os.Args[0], bin, 0o755)
	for _, d := range []string{dir, node, filepath.Join(node, "private")} {
		os.Chmod(d, 0o755)
	}
	os.Chmod(filepath.Join(node, "private", "secret"), 0o600)

	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		bin, "-test.run=^TestReadAsNobody$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TAHOENODE_READ="+node)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	want := "READ-ERROR: tahoenode: " + filepath.Join(node, "private", "secret") +
		": permission denied: run as a user who may read the node directory (its owner)"
	if !strings.Contains(string(out), want+"\n") {
		t.Errorf("as nobody:\n%s\nwant %q", out, want)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		copyFile(t, p, filepath.Join(to, rel), 0o644)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err == nil {
		err = os.WriteFile(to, data, mode)
	}
	if err != nil {
		t.Fatal(err)
	}
}
