package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/internal/atomicfile"
)

// metric is one line family of the metrics file (docs/operations.md,
// Metrics). Every one is a gauge labelled source="<source.path>".
type metric struct {
	name, help string
	value      func(r runRecord) float64
}

// runRecord is what the metrics file says of one backup run.
type runRecord struct {
	start, end  time.Time
	exitCode    int
	lastSuccess time.Time // zero: never (as far as anyone knows)
	sum         backupSummary
}

const metricPrefix = "lafs_backup_"

var metrics = []metric{
	{"last_run_start_timestamp_seconds", "Start of the last backup run (Unix time).", func(r runRecord) float64 { return unixSeconds(r.start) }},
	{"last_run_end_timestamp_seconds", "End of the last backup run (Unix time).", func(r runRecord) float64 { return unixSeconds(r.end) }},
	{"last_run_duration_seconds", "How long the last backup run took.", func(r runRecord) float64 { return r.end.Sub(r.start).Seconds() }},
	{"last_run_exit_code", "Exit code of the last backup run (0 ok, 3 partial, see lafs-backup --help).", func(r runRecord) float64 { return float64(r.exitCode) }},
	{"last_success_timestamp_seconds", "End of the last run that recorded a backup, exit 0 or 3 (Unix time; 0 if none is known).", func(r runRecord) float64 { return unixSeconds(r.lastSuccess) }},
	{"last_run_generation", "Generation of the last backup run (0 if it began none).", func(r runRecord) float64 { return float64(r.sum.Generation) }},
	{"last_run_entries", "Entries the last backup run put in its tree.", func(r runRecord) float64 { return float64(r.sum.Entries) }},
	{"last_run_files_uploaded", "Files the last backup run uploaded.", func(r runRecord) float64 { return float64(r.sum.FilesUploaded) }},
	{"last_run_files_reused", "Files the last backup run reused from the entry cache without uploading.", func(r runRecord) float64 { return float64(r.sum.FilesReused) }},
	{"last_run_read_bytes", "Bytes of file content the last backup run read.", func(r runRecord) float64 { return float64(r.sum.BytesRead) }},
	{"last_run_sent_bytes", "Bytes the last backup run sent to the grid.", func(r runRecord) float64 { return float64(r.sum.BytesSent) }},
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

// runMetrics follows one backup run for the metrics file: started when
// the command starts, given the summary when the run gets that far.
type runMetrics struct {
	start time.Time
	sum   *backupSummary
}

// recorded reports whether the run recorded a backup.
func (m *runMetrics) recorded() bool { return m.sum != nil && m.sum.Cap != "" }

// writeMetrics writes the run's record into destination.result.metrics_file,
// if one is configured; a failure is logged and does not change the
// run's exit code.
func writeMetrics(ctx context.Context, e *env, m *runMetrics, runErr error) {
	path := e.Config.Destination.Result.MetricsFile
	if path == "" {
		return
	}
	r := runRecord{start: m.start, end: time.Now(), exitCode: runExitCode(ctx, runErr)}
	if m.sum != nil {
		r.sum = *m.sum
		r.sum.Cap = "" // never kept: the file has no caps
	}
	source := e.Config.Source.Path
	if err := updateMetricsFile(path, source, r, func(prev map[string]string) time.Time {
		return lastSuccess(ctx, e, m, r.end, prev)
	}); err != nil {
		e.Log.Error("writing destination.result.metrics_file", "path", path, "err", err)
	}
}

// lastSuccess is this run's end if it recorded a backup; else the value
// the file held for this source; else the newest completed backup of the
// source in the entry cache (the file may be new), or zero.
func lastSuccess(ctx context.Context, e *env, m *runMetrics, end time.Time, prev map[string]string) time.Time {
	if m.recorded() {
		return end
	}
	if v, err := strconv.ParseFloat(prev[metricPrefix+"last_success_timestamp_seconds"], 64); err == nil && v > 0 {
		return time.Unix(0, int64(v*1e9))
	}
	if e.Config.Source.EntryCache.Path == "" {
		return time.Time{}
	}
	db, err := entrycache.Open(ctx, e.Config.Source.EntryCache.Path, entrycache.Options{NoCreate: true})
	if err != nil {
		return time.Time{}
	}
	defer db.Close()
	b, err := db.LatestBackup(ctx, entrycache.BackupFilter{Source: e.Config.Source.Path,
		Statuses: []entrycache.Status{entrycache.StatusOK, entrycache.StatusPartial}})
	if err != nil {
		return time.Time{}
	}
	return b.Finished
}

// runExitCode is the exit code the run ends with: a stop signal's code
// when the context was cancelled by one (stopOnSignals), else exitCode.
func runExitCode(ctx context.Context, err error) int {
	var s signalStop
	if errors.As(context.Cause(ctx), &s) {
		return signalExitCode(s.sig)
	}
	return exitCode(err)
}

// updateMetricsFile replaces source's samples in the file at path with
// r's and keeps every other source's, under a lock on the directory (so
// that two configurations sharing the file do not lose each other's
// lines), writing a temp file that is renamed over the old one.
// lastSuccess gets the file's previous samples of source (by name).
func updateMetricsFile(path, source string, r runRecord, lastSuccess func(prev map[string]string) time.Time) error {
	dir := filepath.Dir(path)
	unlock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	all, err := readMetricsFile(path)
	if err != nil {
		return err
	}
	r.lastSuccess = lastSuccess(all[source])
	ours := map[string]string{}
	for _, m := range metrics {
		ours[metricPrefix+m.name] = strconv.FormatFloat(m.value(r), 'f', -1, 64)
	}
	all[source] = ours
	return atomicfile.WriteFile(path, 0o644, []byte(formatMetrics(all))) // 0644: node_exporter runs as another user
}

// formatMetrics renders every source's samples in the text exposition
// format: each metric's HELP and TYPE once, then one sample per source.
func formatMetrics(all map[string]map[string]string) string {
	sources := make([]string, 0, len(all))
	for s := range all {
		sources = append(sources, s)
	}
	slices.Sort(sources)
	var b strings.Builder
	for _, m := range metrics {
		name := metricPrefix + m.name
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, m.help, name)
		for _, s := range sources {
			if v, ok := all[s][name]; ok {
				fmt.Fprintf(&b, "%s{source=\"%s\"} %s\n", name, escapeLabel(s), v)
			}
		}
	}
	return b.String()
}

// readMetricsFile reads the samples a previous run wrote, by source and
// name; a missing file is empty. Lines it did not write are dropped.
func readMetricsFile(path string) (map[string]map[string]string, error) {
	all := map[string]map[string]string{}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return all, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, source, value, ok := parseSample(sc.Text())
		if !ok {
			continue
		}
		if all[source] == nil {
			all[source] = map[string]string{}
		}
		all[source][name] = value
	}
	return all, sc.Err()
}

// parseSample reads `NAME{source="VALUE"} NUMBER`, as formatMetrics writes.
func parseSample(line string) (name, source, value string, ok bool) {
	name, rest, found := strings.Cut(line, `{source="`)
	if !found || !strings.HasPrefix(name, metricPrefix) {
		return "", "", "", false
	}
	var b strings.Builder
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c == '\\' && i+1 < len(rest):
			i++
			if rest[i] == 'n' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(rest[i])
			}
		case c == '"':
			v, found := strings.CutPrefix(rest[i+1:], "} ")
			if _, err := strconv.ParseFloat(v, 64); !found || err != nil {
				return "", "", "", false
			}
			return name, b.String(), v, true
		default:
			b.WriteByte(c)
		}
	}
	return "", "", "", false
}

// escapeLabel escapes a label value: backslash, double quote, newline.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// lockDir takes an exclusive flock on the directory itself: no lock file
// appears beside the metrics (node_exporter reads the directory).
func lockDir(dir string) (func(), error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX); err != nil {
		d.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() { d.Close() }, nil
}
