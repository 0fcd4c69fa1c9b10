package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/internal/needs"
)

// unit is a parsed systemd unit file: section, key, values in order.
type unit map[string]map[string][]string

func (u unit) get(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// parseUnit reads a unit file as systemd does: comments (# ;), [Section]
// headers, KEY=VALUE lines, a trailing backslash continuing a line.
func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, section, pending := unit{}, "", ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := pending + strings.TrimSpace(sc.Text())
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending = cont + " "
			continue
		}
		pending = ""
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.TrimSpace(k) == "" {
				t.Fatalf("%s:%d: not KEY=VALUE in a section: %q", path, n, line)
			}
			k = strings.TrimSpace(k)
			u[section][k] = append(u[section][k], strings.TrimSpace(v))
		}
	}
	return u
}

// TestSystemdUnits: the units of contrib/systemd parse, carry the
// hardening docs and README promise, run command lines lafs-backup
// accepts, and pass systemd-analyze verify without a warning.
func TestSystemdUnits(t *testing.T) {
	dir := filepath.Join("..", "..", "contrib", "systemd")
	files, _ := filepath.Glob(filepath.Join(dir, "*.service"))
	timers, _ := filepath.Glob(filepath.Join(dir, "*.timer"))
	if len(files) != 3 || len(timers) != 3 {
		t.Fatalf("contrib/systemd: %d services, %d timers, want 3 each", len(files), len(timers))
	}
	for _, path := range files {
		u := parseUnit(t, path)
		name := filepath.Base(path)
		for _, kv := range [][2]string{{"Type", "oneshot"}, {"NoNewPrivileges", "yes"}, {"ProtectSystem", "strict"},
			{"PrivateTmp", "yes"}, {"StateDirectory", "lafs-backup"}, {"UMask", "0077"}} {
			if got := u.get("Service", kv[0]); got != kv[1] {
				t.Errorf("%s: %s=%q, want %q", name, kv[0], got, kv[1])
			}
		}
		argv := strings.Fields(u.get("Service", "ExecStart"))
		if len(argv) < 4 || argv[0] != "/usr/local/bin/lafs-backup" {
			t.Fatalf("%s: ExecStart %q", name, argv)
		}
		// The command line parses: every flag exists and takes what it is given.
		if code, out, errOut := runMain(t, append(argv[1:], "--help")...); code != 0 || errOut != "" || !strings.Contains(out, "Usage:") {
			t.Errorf("%s: lafs-backup %s --help: exit %d\n%s", name, strings.Join(argv[1:], " "), code, errOut)
		}
		if name == "lafs-backup.service" {
			if u.get("Service", "CapabilityBoundingSet") != "CAP_DAC_READ_SEARCH" || u.get("Service", "StandardOutput") != "null" ||
				u.get("Service", "ProtectHome") != "read-only" || !strings.Contains(u.get("Service", "ExecStart"), " backup --wait ") {
				t.Errorf("%s: the backup unit reads everything, writes no cap to the journal, waits for the lock: %v", name, u["Service"])
			}
		} else if u.get("Service", "CapabilityBoundingSet") != "" {
			t.Errorf("%s: check and cleanup need no capability", name)
		}
	}
	for _, path := range timers {
		u := parseUnit(t, path)
		svc := strings.TrimSuffix(path, ".timer") + ".service"
		if _, err := os.Stat(svc); err != nil || u.get("Timer", "OnCalendar") == "" ||
			u.get("Timer", "Persistent") != "true" || u.get("Install", "WantedBy") != "timers.target" {
			t.Errorf("%s: a calendar timer for %s, persistent, wanted by timers.target: %v (%v)", path, filepath.Base(svc), u, err)
		}
	}

	t.Run("systemd-analyze", func(t *testing.T) {
		needs.Tools(t, "systemd-analyze")
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		tmp := t.TempDir()
		var names []string
		for _, path := range append(files, timers...) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// verify checks that the program exists; this test binary stands in.
			b = []byte(strings.ReplaceAll(string(b), "/usr/local/bin/lafs-backup", self))
			names = append(names, filepath.Join(tmp, filepath.Base(path)))
			must(t, os.WriteFile(names[len(names)-1], b, 0o644))
		}
		out, err := exec.Command("systemd-analyze", append([]string{"verify"}, names...)...).CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	})
}
