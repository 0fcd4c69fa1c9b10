package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/uploader"
)

// resolveDirSpec turns append_to_lafs_dir ("URI:DIR2:...[/sub/path]") into
// the cap of the mutable directory to link into.
func resolveDirSpec(ctx context.Context, c *lafsapi.Client, spec string) (lafsapi.Cap, error) {
	parts := strings.Split(strings.Trim(spec, "/"), "/")
	dir, err := lafsapi.ParseCap(parts[0])
	if err != nil {
		return lafsapi.Cap{}, err
	}
	var sub []string
	for _, p := range parts[1:] {
		if p != "" {
			sub = append(sub, p)
		}
	}
	if len(sub) == 0 {
		return dir, nil
	}
	n, err := c.Info(ctx, dir, sub...)
	if err != nil {
		return lafsapi.Cap{}, err
	}
	if !n.IsDir() || !n.Mutable {
		return lafsapi.Cap{}, fmt.Errorf("%s inside the directory is not a mutable directory", strings.Join(sub, "/"))
	}
	return n.Cap, nil
}

// backupSummary is what a finished (or stopped) backup reports.
type backupSummary struct {
	Cap           string `json:"cap,omitempty"`
	Name          string `json:"name"`
	Source        string `json:"source"`
	Generation    int64  `json:"generation"`
	Resumed       bool   `json:"resumed"`
	Entries       int64  `json:"entries"`
	FilesUploaded int64  `json:"files_uploaded"`
	FilesReused   int64  `json:"files_reused"`
	FilesLIT      int64  `json:"files_lit"`
	// FilesTooNew: uploaded but not cached, changed within
	// uploader.RacyMargin of being read; the next run reads them again.
	FilesTooNew int64 `json:"files_too_new"`
	// DirsCreated and DirsReused count the source's directories, as the
	// queue line and restore do: the root wrapper is not one of them.
	DirsCreated int64 `json:"dirs_created"`
	DirsReused  int64 `json:"dirs_reused"`
	// SubtreesReused: directories reused with everything below them by
	// one subtree row (their files and directories count as reused).
	SubtreesReused int64   `json:"subtrees_reused"`
	Renewed        int64   `json:"renewed"`
	BytesRead      int64   `json:"bytes_read"`
	BytesSent      int64   `json:"bytes_sent"`
	XZRatio        float64 `json:"xz_ratio,omitempty"`
	WalkErrors     int64   `json:"walk_errors"`
	Skipped        int64   `json:"skipped"`
	Failed         int64   `json:"failed"`
	Changed        int64   `json:"changed"`
	// Refused: objects the storage servers refused twice (at first and
	// at the end of the run), left out; SetAside: refused at first.
	Refused      int64    `json:"refused"`
	SetAside     int64    `json:"set_aside"`
	Problems     []string `json:"problems,omitempty"`
	ResultErrors []string `json:"result_errors,omitempty"`
	Seconds      float64  `json:"seconds"`
}

func (b *lockedBackup) summary(rootCap string, st uploader.Stats, resultErrs []string) backupSummary {
	s := backupSummary{
		Cap: rootCap, Name: backupName(b.source), Source: b.source, Generation: b.cur.Generation, Resumed: b.resumed,
		Entries: st.Entries, FilesUploaded: st.FilesUploaded, FilesReused: st.FilesReused, FilesLIT: st.FilesLIT,
		FilesTooNew: st.FilesTooNew,
		DirsCreated: st.DirsCreated - b2i(st.WrapperCreated), DirsReused: st.DirsReused - b2i(st.WrapperReused),
		SubtreesReused: st.SubtreesReused, Renewed: st.Renewed,
		BytesRead: st.BytesRead, BytesSent: st.BytesSent,
		WalkErrors: b.qstats.Errors, Skipped: st.Skipped, Failed: st.Failed, Changed: st.Changed,
		Refused: st.Refused, SetAside: st.SetAside,
		ResultErrors: resultErrs,
		Seconds:      (b.qstats.Duration + st.Duration).Seconds(),
	}
	if st.CompressedIn > 0 {
		s.XZRatio = float64(st.CompressedOut) / float64(st.CompressedIn)
	}
	for _, f := range b.qstats.Failures {
		s.Problems = append(s.Problems, fmt.Sprintf("unreadable: %s: %s", pathesc.Escape(f.Path), walkReason(f.Err)))
	}
	for _, p := range st.Problems {
		s.Problems = append(s.Problems, fmt.Sprintf("%s: %s: %s", p.Kind, p.Path, p.Reason))
	}
	if m := b.o.metrics; m != nil {
		m.sum = &s
	}
	return s
}

// printSummary writes the summary: a JSON object on stdout with --json,
// else a few lines on stderr (what cron mails).
func printSummary(e *env, s backupSummary) {
	if e.JSON {
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(s)
		return
	}
	if !e.Config.Destination.Result.PrintToStdout || s.Cap == "" {
		s.Cap = ""
	}
	w := e.Stderr
	fmt.Fprintf(w, "backup %s generation %d: %s in %.1fs%s\n", s.Name, s.Generation, plural(s.Entries, "entry"), s.Seconds, resumedText(s.Resumed))
	fmt.Fprintf(w, "  files: %d uploaded, %d reused, %d inline (LIT); directories: %d created, %d reused (%s)\n",
		s.FilesUploaded, s.FilesReused, s.FilesLIT, s.DirsCreated, s.DirsReused, plural(s.SubtreesReused, "unchanged subtree"))
	fmt.Fprintf(w, "  bytes: %s read, %s sent", humanBytes(s.BytesRead), humanBytes(s.BytesSent))
	if s.XZRatio > 0 {
		fmt.Fprintf(w, ", xz ratio %.2f", s.XZRatio)
	}
	fmt.Fprintln(w)
	if s.FilesTooNew > 0 {
		fmt.Fprintf(w, "  not cached: %s changed within %v of being read; the next run reads %s again\n",
			plural(s.FilesTooNew, "file"), uploader.RacyMargin, map[bool]string{true: "it", false: "them"}[s.FilesTooNew == 1])
	}
	if n := s.WalkErrors + s.Skipped + s.Failed + s.Changed + s.Refused; n > 0 {
		fmt.Fprintf(w, "  problems: %d unreadable while walking, %d vanished, %d failed, %d kept changing, %d refused by the storage servers\n",
			s.WalkErrors, s.Skipped, s.Failed, s.Changed, s.Refused)
		for _, p := range s.Problems {
			fmt.Fprintf(w, "    %s\n", p)
		}
	}
	for _, r := range s.ResultErrors {
		fmt.Fprintf(w, "  result destination failed: %s\n", lafsapi.RedactCaps(r))
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func resumedText(r bool) string {
	if r {
		return " (resumed)"
	}
	return ""
}

// startProgress shows a status line on a terminal (every second) and on
// SIGUSR1 (always); with --json it writes progress objects to stderr
// instead. It returns a function that stops it and clears the line.
func startProgress(ctx context.Context, e *env, stats func() uploader.Stats) func() {
	tty := isTerminal(e.Stderr)
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-usr1:
				if e.JSON {
					e.jsonLine(map[string]any{"progress": progressObject(stats())})
				} else {
					fmt.Fprintln(e.Stderr, statusLine(stats(), 0))
				}
			case <-tick.C:
				switch {
				case e.JSON:
					e.jsonLine(map[string]any{"progress": progressObject(stats())})
				case tty:
					fmt.Fprintf(e.Stderr, "\r\033[K%s", statusLine(stats(), 100))
				}
			}
		}
	}()
	return func() {
		signal.Stop(usr1)
		close(done)
		<-finished
		if tty && !e.JSON {
			fmt.Fprint(e.Stderr, "\r\033[K")
		}
	}
}

func progressObject(s uploader.Stats) map[string]any {
	return map[string]any{
		"entries": s.Entries, "files_uploaded": s.FilesUploaded, "files_reused": s.FilesReused,
		"dirs_created": s.DirsCreated, "bytes_read": s.BytesRead, "bytes_sent": s.BytesSent,
		"seconds": s.Duration.Seconds(),
	}
}

// statusLine is the one-line progress; width > 0 trims the current path.
func statusLine(s uploader.Stats, width int) string {
	rate := 0.0
	if sec := s.Duration.Seconds(); sec > 0 {
		rate = float64(s.BytesSent) / sec
	}
	line := fmt.Sprintf("%s, %d up / %d reused, %s sent (%s/s)",
		plural(s.Entries, "entry"), s.FilesUploaded+s.DirsCreated, s.FilesReused+s.DirsReused, humanBytes(s.BytesSent), humanBytes(int64(rate)))
	if width > 0 && s.Current != "" {
		room := width - len(line) - 3
		cur := s.Current
		if room < 10 {
			return line
		}
		if len(cur) > room {
			cur = "…" + cur[len(cur)-room+1:]
		}
		line += "  " + cur
	}
	return line
}

// walkReason is the error of a walk failure without the absolute path the
// summary line already names relatively.
func walkReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
