package main

import (
	"fmt"
	"os/exec"
	"sort"
	"strings"
)

// sectionTools are the programs each section runs besides the two tools
// measured (`git` and the virtualenv's `tahoe` are checked elsewhere).
var sectionTools = map[string][]string{
	"small": {"curl"},
	"large": {"curl"},
	"scan":  {"find", "setfacl", "setcap"},
}

// debianPackage names the Debian package that installs each tool.
var debianPackage = map[string]string{"curl": "curl", "find": "findutils", "setfacl": "acl", "setcap": "libcap2-bin"}

// preflight checks that the chosen sections' programs are on PATH before
// the grid starts: a full run takes over an hour, and a missing setfacl
// used to end it in the scan section with nothing written.
func preflight(sections map[string]bool) error {
	missing := map[string][]string{}
	for s, tools := range sectionTools {
		if !sections[s] {
			continue
		}
		for _, t := range tools {
			if _, err := exec.LookPath(t); err != nil {
				missing[t] = append(missing[t], s)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var parts, pkgs []string
	for t, ss := range missing {
		sort.Strings(ss)
		parts = append(parts, fmt.Sprintf("%s (for %s)", t, strings.Join(ss, ", ")))
		pkgs = append(pkgs, debianPackage[t])
	}
	sort.Strings(parts)
	sort.Strings(pkgs)
	return fmt.Errorf("not on PATH: %s; install them (Debian: apt-get install %s) or leave those sections out with --only",
		strings.Join(parts, ", "), strings.Join(pkgs, " "))
}
