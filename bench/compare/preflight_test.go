package main

import (
	"strings"
	"testing"
)

func TestPreflightNamesWhatIsMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // nothing on it
	err := preflight(map[string]bool{"scan": true, "direct": true})
	if err == nil {
		t.Fatal("no error with an empty PATH")
	}
	for _, want := range []string{"setfacl (for scan)", "setcap (for scan)", "find (for scan)", "apt-get install acl findutils libcap2-bin)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "curl") {
		t.Errorf("error %q names curl, which neither section runs", err)
	}
	if err := preflight(map[string]bool{"direct": true, "lit": true}); err != nil {
		t.Errorf("sections that run no other program: %v", err)
	}
}
