package queue

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/internal/needs"
)

// needTools fails under CI (where .ci/run installs them) and skips
// elsewhere when the independent tools or root are missing.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	missing := []string{}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	if len(missing) == 0 {
		return
	}
	needs.Unmet(t, "needs %v (installed by .ci/run)", missing)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// TestQueueAgreesWithStatGetfaclGetcap writes the queue of a tree with
// ACLs, capabilities, setgid directories, symlinks and hardlinks, reads it
// back, and compares every entry with what stat, getfacl -n and getcap say.
func TestQueueAgreesWithStatGetfaclGetcap(t *testing.T) {
	needTools(t, "stat", "getfacl", "setfacl", "getcap", "setcap")
	dir := t.TempDir()
	p := func(rel string) string { return filepath.Join(dir, rel) }
	for _, d := range []string{"shared", "shared/sub", "bin", "plain dir"} {
		if err := os.Mkdir(p(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"bin/ping", "bin/tool", "shared/doc.txt", "plain dir/ file ", "hard1"} {
		if err := os.WriteFile(p(f), []byte("content of "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(p("shared"), 0o2775|os.ModeSetgid)
	unix.Chmod(p("shared"), 0o2775)
	unix.Chmod(p("bin/tool"), 0o4755)
	os.Link(p("hard1"), p("shared/hard2"))
	os.Symlink("bin/ping", p("link-to-capfile"))
	os.Symlink("shared", p("link-to-dir"))
	os.Symlink("nowhere", p("dangling"))
	run(t, "setfacl", "-m", "u:1234:r-x,g:55:rwx", "-m", "d:u:1234:rwx,d:g::r-x", p("shared"))
	run(t, "setfacl", "-m", "u:4321:rw-", p("shared/doc.txt"))
	run(t, "setcap", "cap_net_raw=ep", p("bin/ping"))
	run(t, "setcap", "cap_net_admin,cap_sys_time+eip", p("bin/tool"))
	os.Chown(p("plain dir/ file "), 1001, 1002)

	qpath := filepath.Join(t.TempDir(), "queue")
	if _, err := WriteFile(context.Background(), qpath, dir, BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	entries := readQueueFile(t, qpath)
	if len(entries) != 14 {
		t.Errorf("queue has %d entries, want 14", len(entries))
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Path)
		name := e.Path
		if name == "" {
			name = "."
		}
		// stat: uid, gid and the full mode in hex (with type bits).
		want := strings.TrimSpace(run(t, "stat", "-c", "%u:%g:%f", path))
		if got := fmt.Sprintf("%d:%d:%x", e.UID, e.GID, e.Mode); got != want {
			t.Errorf("%s: queue %s, stat %s", name, got, want)
		}
		if e.Type.String() == "symlink" {
			if e.Caps != "" || e.ACL != nil {
				t.Errorf("%s: symlink recorded caps %q / ACL %v of its target", name, e.Caps, e.ACL)
			}
			continue
		}
		if got, want := e.ACLText(), getfaclText(t, path); got != want {
			t.Errorf("%s: queue ACL %q, getfacl -n %q", name, got, want)
		}
		if got, want := e.Caps, getcapText(t, path); got != want {
			t.Errorf("%s: queue caps %q, getcap %q", name, got, want)
		}
	}
}

// getfaclText is getfacl -n's ACL in the queue's form: entries abbreviated
// (u:, g:, m:, o:), default entries prefixed d:, "" when the ACL only
// mirrors the mode.
func getfaclText(t *testing.T, path string) string {
	var access, def []string
	extended := false
	for _, line := range strings.Split(run(t, "getfacl", "-n", "-p", "-c", path), "\n") {
		line = strings.TrimSpace(strings.SplitN(line, "#", 2)[0])
		if line == "" {
			continue
		}
		d := strings.HasPrefix(line, "default:")
		line = strings.TrimPrefix(line, "default:")
		f := strings.SplitN(line, ":", 3)
		short := map[string]string{"user": "u", "group": "g", "mask": "m", "other": "o"}[f[0]]
		entry := short + ":" + f[1] + ":" + f[2]
		if d {
			def = append(def, "d:"+entry)
			continue
		}
		if f[1] != "" || f[0] == "mask" {
			extended = true
		}
		access = append(access, entry)
	}
	if !extended && len(def) == 0 {
		return ""
	}
	return strings.Join(append(access, def...), ",")
}

// getcapText is the capability text of getcap -n (without the path).
func getcapText(t *testing.T, path string) string {
	out := strings.TrimSpace(run(t, "getcap", "-n", path))
	if out == "" {
		return ""
	}
	return strings.TrimSpace(strings.TrimPrefix(out, path))
}
