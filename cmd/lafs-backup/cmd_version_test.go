package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionFormat: what version prints from each kind of build
// information.
func TestVersionFormat(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261203134803-318dd0d6e0ca+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "318dd0d6e0ca204d05705bbecc9b880eb8f069ed"},
			{Key: "vcs.time", Value: "2026-12-03T13:48:03Z"}, {Key: "vcs.modified", Value: "true"}}}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"stamped from a modified tree", stamped, true, "lafs-backup v0.0.0-20261203134803-318dd0d6e0ca+dirty\n" +
			"  revision:  318dd0d6e0ca204d05705bbecc9b880eb8f069ed (modified)\n" +
			"  committed: 2026-12-03T13:48:03Z\n" +
			"  go:        go1.26.8 " + platform + "\n"},
		{"without VCS information", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, true,
			"lafs-backup (devel)\n  revision:  unknown (built without VCS information)\n  go:        go1.26.8 " + platform + "\n"},
		{"no build information", nil, false,
			"lafs-backup unknown\n  revision:  unknown (built without VCS information)\n  go:        " + runtime.Version() + " " + platform + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := printVersion(&b, false, buildVersionOf(tc.bi, tc.ok)); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
	var b bytes.Buffer
	printVersion(&b, true, buildVersionOf(stamped, true))
	want := `{"version":"v0.0.0-20261203134803-318dd0d6e0ca+dirty","revision":"318dd0d6e0ca204d05705bbecc9b880eb8f069ed","time":"2026-12-03T13:48:03Z","modified":true,"go":"go1.26.8","platform":"` + platform + `"}` + "\n"
	if b.String() != want {
		t.Errorf("--json: got %s want %s", b.String(), want)
	}
}

// TestVersionOfABuiltBinary: a real binary's version, --version and
// --json version say what `go version -m` reads from the same file, and
// need no configuration.
func TestVersionOfABuiltBinary(t *testing.T) {
	bin := buildBinary(t)
	meta, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	info := map[string]string{}
	for _, l := range strings.Split(string(meta), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			info["version"] = f[2]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs."):
			k, v, _ := strings.Cut(f[1], "=")
			info[k] = v
		}
	}
	goVersion := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(string(meta), "\n", 2)[0], bin+":"))
	for _, args := range [][]string{{"version"}, {"--version"}, {"-c", "/nonexistent.yaml", "version"}, {"backup", "--version"}} {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		text := string(out)
		if !strings.HasPrefix(text, "lafs-backup "+info["version"]+"\n") || !strings.Contains(text, "go:        "+goVersion+" ") {
			t.Errorf("%v printed\n%s\nbut the binary holds %v, %s", args, text, info, goVersion)
		}
		if rev := info["vcs.revision"]; rev != "" && !strings.Contains(text, "revision:  "+rev) ||
			rev == "" && !strings.Contains(text, "revision:  unknown") {
			t.Errorf("%v printed\n%s\nbut the binary holds revision %q", args, text, rev)
		}
	}
	out, err := exec.Command(bin, "--json", "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v buildVersion
	if err := json.Unmarshal(out, &v); err != nil || v.Version != info["version"] || v.Revision != info["vcs.revision"] ||
		v.Time != info["vcs.time"] || v.Go != goVersion {
		t.Errorf("--json version: %s (%v), binary holds %v", out, err, info)
	}
}
