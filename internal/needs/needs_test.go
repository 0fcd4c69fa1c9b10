package needs

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestUnmetFailsUnderCI runs a test that lacks a tool in a child process,
// with and without CI=true, and with -short for a Long test.
func TestUnmetFailsUnderCI(t *testing.T) {
	if os.Getenv("NEEDS_CHILD") != "" {
		return
	}
	for _, tc := range []struct {
		name, run, ci string
		short         bool
		want          string
	}{
		{"missing tool", "TestChildTool", "", false, "--- SKIP"},
		{"missing tool under CI", "TestChildTool", "true", false, "--- FAIL"},
		{"short", "TestChildLong", "", true, "--- SKIP"},
		{"short under CI", "TestChildLong", "true", true, "--- FAIL"},
		{"not short", "TestChildLong", "true", false, "--- PASS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"-test.run=^" + tc.run + "$", "-test.v"}
			if tc.short {
				args = append(args, "-test.short")
			}
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), "NEEDS_CHILD=1", "CI="+tc.ci)
			out, _ := cmd.CombinedOutput()
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("want %s:\n%s", tc.want, out)
			}
		})
	}
}

func TestChildTool(t *testing.T) {
	if os.Getenv("NEEDS_CHILD") == "" {
		return // only as TestUnmetFailsUnderCI's child
	}
	Tools(t, "no-such-tool-lafs-backup")
}

func TestChildLong(t *testing.T) {
	if os.Getenv("NEEDS_CHILD") == "" {
		return // only as TestUnmetFailsUnderCI's child
	}
	Long(t, "a long test")
}
