package fsmeta

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/internal/needs"
)

// needRootTools skips a test that needs root and the given programs
// (acl, attr and libcap2-bin packages).
func needRootTools(t *testing.T, tools ...string) {
	t.Helper()
	needs.Root(t, "owners, ACLs, capabilities")
	needs.Tools(t, tools...)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stderr strings.Builder
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}
