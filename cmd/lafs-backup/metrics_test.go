package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/testgrid"
)

// sampleLine is one sample of the text exposition format with one label.
var sampleLine = regexp.MustCompile(`^(lafs_backup_[a-z_]+)\{source="((?:[^"\\]|\\.)*)"\} (\S+)$`)

// readPromFile parses a metrics file as a textfile collector would: every
// line a comment (HELP, TYPE) or a sample; each metric's HELP and TYPE
// once, before its samples. It returns the samples by source and name.
func readPromFile(t *testing.T, path string) map[string]map[string]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]float64{}
	typed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# TYPE ") {
			f := strings.Fields(line)
			if len(f) != 4 || f[3] != "gauge" || typed[f[2]] {
				t.Errorf("metrics file: bad or repeated TYPE line %q", line)
			}
			typed[f[2]] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("metrics file: not a sample: %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil || !typed[m[1]] {
			t.Fatalf("metrics file: %q: value %v, typed %v", line, err, typed[m[1]])
		}
		if out[m[2]] == nil {
			out[m[2]] = map[string]float64{}
		}
		out[m[2]][m[1]] = v
	}
	return out
}

// TestMetricsFile, on the real grid: every backup run writes the
// textfile-collector file (0644 whatever the umask, no caps) with the
// run's figures for its source; a failed run (no source, then a dead
// gateway) updates the exit code and times but keeps the last success
// time; another source sharing the file keeps its lines.
func TestMetricsFile(t *testing.T) {
	g := testgrid.Shared(t)
	old := syscall.Umask(0o077)
	t.Cleanup(func() { syscall.Umask(old) })
	prom := filepath.Join(t.TempDir(), "lafs-backup.prom")
	s := newSite(t, g.URL(), "")
	setConfig(t, s, "destination:\n", "destination:\n  result: {metrics_file: "+prom+"}\n")
	source := filepath.Join(s.dir, "snaps/snap.*")
	mixedTree(t, filepath.Join(s.snaps, "snap.1"))

	before := time.Now()
	first := s.backupJSON(t)
	st, err := os.Stat(prom)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("metrics file mode %v, want 0644", st.Mode().Perm())
	}
	text, _ := os.ReadFile(prom)
	if strings.Contains(string(text), "URI:") {
		t.Error("the metrics file holds a cap")
	}
	m := readPromFile(t, prom)[source]
	end := m["lafs_backup_last_run_end_timestamp_seconds"]
	start := m["lafs_backup_last_run_start_timestamp_seconds"]
	if d := m["lafs_backup_last_run_duration_seconds"]; start < float64(before.Unix()) || end < start ||
		end > float64(time.Now().Unix()+1) || d <= 0 || math.Abs(d-(end-start)) > 1e-3 {
		t.Errorf("times: start %v end %v duration %v (test began %v)", start, end, d, before.Unix())
	}
	for name, want := range map[string]float64{
		"last_run_exit_code":             0,
		"last_success_timestamp_seconds": end,
		"last_run_generation":            float64(first.Generation),
		"last_run_entries":               float64(first.Entries),
		"last_run_files_uploaded":        float64(first.FilesUploaded),
		"last_run_files_reused":          float64(first.FilesReused),
		"last_run_read_bytes":            float64(first.BytesRead),
		"last_run_sent_bytes":            float64(first.BytesSent),
	} {
		if got, ok := m["lafs_backup_"+name]; !ok || got != want {
			t.Errorf("after the first backup: %s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	if first.FilesUploaded == 0 || first.BytesSent == 0 {
		t.Fatalf("the first backup uploaded nothing: the checks above prove little: %+v", first)
	}
	success := end

	// No source: exit 5, the last success stays.
	hidden := s.snaps + ".away"
	must(t, os.Rename(s.snaps, hidden))
	if code, _, errOut := s.backup(t); code != exitNoSource {
		t.Fatalf("backup without a source: exit %d\n%s", code, errOut)
	}
	m = readPromFile(t, prom)[source]
	if m["lafs_backup_last_run_exit_code"] != exitNoSource || m["lafs_backup_last_success_timestamp_seconds"] != success ||
		m["lafs_backup_last_run_end_timestamp_seconds"] <= success || m["lafs_backup_last_run_entries"] != 0 {
		t.Errorf("after a run without source: %v", m)
	}

	// A dead gateway with something to upload: exit 1, the last success
	// stays, read from the file (the entry cache would say the same).
	must(t, os.Rename(hidden, s.snaps))
	mustWrite(t, filepath.Join(s.snaps, "snap.1/data/tiny.txt"), []byte("changed, must be uploaded"))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	setConfig(t, s, "url: "+g.URL(), "url: "+dead)
	if code, _, errOut := s.backup(t); code != exitFatal {
		t.Fatalf("backup through a dead gateway: exit %d\n%s", code, errOut)
	}
	m = readPromFile(t, prom)[source]
	if m["lafs_backup_last_run_exit_code"] != exitFatal || m["lafs_backup_last_success_timestamp_seconds"] != success {
		t.Errorf("after a failed run: %v", m)
	}

	// Another source writing the same file keeps this one's lines.
	other := newSite(t, g.URL(), "")
	setConfig(t, other, "destination:\n", "destination:\n  result: {metrics_file: "+prom+"}\n")
	mustWrite(t, filepath.Join(other.snaps, "snap.1/a.txt"), []byte("a"))
	other.mustBackup(t)
	all := readPromFile(t, prom)
	if len(all) != 2 || all[source]["lafs_backup_last_run_exit_code"] != exitFatal ||
		all[filepath.Join(other.dir, "snaps/snap.*")]["lafs_backup_last_run_exit_code"] != 0 {
		t.Errorf("two sources in one file: %v", all)
	}
	if ents, _ := os.ReadDir(filepath.Dir(prom)); len(ents) != 1 {
		t.Errorf("the textfile directory holds more than the metrics file: %v", ents)
	}
}

// TestMetricsExitCodeOfSignals: a run stopped by a signal records the
// signal's exit code (130, 143), as the process exits with.
func TestMetricsExitCodeOfSignals(t *testing.T) {
	for sig, want := range map[os.Signal]int{syscall.SIGINT: exitSIGINT, syscall.SIGTERM: exitSIGTERM} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(signalStop{sig})
		if got := runExitCode(ctx, context.Canceled); got != want {
			t.Errorf("%v: exit code %d, want %d", sig, got, want)
		}
	}
	if got := runExitCode(context.Background(), fmt.Errorf("x: %w", errPartial)); got != exitPartial {
		t.Errorf("no signal: %d, want %d", got, exitPartial)
	}
}

// TestMetricsFileLabels: source patterns with quotes, backslashes and
// newlines are escaped in the label and read back, so a rewrite keeps
// every source apart.
func TestMetricsFileLabels(t *testing.T) {
	prom := filepath.Join(t.TempDir(), "m.prom")
	sources := []string{`/srv/a "b"/*`, `/srv/c\d/*`, "/srv/e\nf/*"}
	for i, src := range sources {
		r := runRecord{start: time.Unix(1700000000, 0), end: time.Unix(1700000060, 0), exitCode: i}
		if err := updateMetricsFile(prom, src, r, func(map[string]string) time.Time { return time.Time{} }); err != nil {
			t.Fatal(err)
		}
	}
	all, err := readMetricsFile(prom)
	if err != nil {
		t.Fatal(err)
	}
	for i, src := range sources {
		if got := all[src]["lafs_backup_last_run_exit_code"]; got != strconv.Itoa(i) {
			t.Errorf("%q: exit code %q, want %d (read %v)", src, got, i, all)
		}
		if got := all[src]["lafs_backup_last_run_duration_seconds"]; got != "60" {
			t.Errorf("%q: duration %q", src, got)
		}
	}
}
