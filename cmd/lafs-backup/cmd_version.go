package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

var versionCommand = &command{
	Name:     "version",
	Summary:  "print the version, VCS revision and Go version of this binary",
	NoConfig: true,
	Help: `Prints what Go recorded in the binary when it was built: the module version
(a release tag, a pseudo-version stamped from the commit, or "(devel)"),
the VCS revision and commit time ("modified" when the tree had uncommitted
changes), and the Go version and platform. With --json, one JSON object.
"lafs-backup --version" prints the same. No configuration is read.`,
	Setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return &usageError{"version takes no arguments"}
			}
			return printVersion(e.Stdout, e.JSON, buildVersionOf(debug.ReadBuildInfo()))
		}
	},
}

// buildVersion is what version prints.
type buildVersion struct {
	Version  string `json:"version"`            // module version: tag, pseudo-version or "(devel)"
	Revision string `json:"revision,omitempty"` // vcs.revision
	Time     string `json:"time,omitempty"`     // vcs.time, the commit's (RFC 3339)
	Modified bool   `json:"modified"`           // vcs.modified
	Go       string `json:"go"`                 // toolchain that built the binary
	Platform string `json:"platform"`           // GOOS/GOARCH the binary runs as
}

// buildVersionOf reads the build information (ok is false in a binary
// built without module support).
func buildVersionOf(bi *debug.BuildInfo, ok bool) buildVersion {
	v := buildVersion{Version: "unknown", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if !ok || bi == nil {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		v.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func printVersion(w io.Writer, asJSON bool, v buildVersion) error {
	if asJSON {
		return json.NewEncoder(w).Encode(v)
	}
	rev := v.Revision
	switch {
	case rev == "":
		rev = "unknown (built without VCS information)"
	case v.Modified:
		rev += " (modified)"
	}
	_, err := fmt.Fprintf(w, "%s %s\n  revision:  %s\n", progName, v.Version, rev)
	if err == nil && v.Time != "" {
		_, err = fmt.Fprintf(w, "  committed: %s\n", v.Time)
	}
	if err == nil {
		_, err = fmt.Fprintf(w, "  go:        %s %s\n", v.Go, v.Platform)
	}
	return err
}
