// Package resultfile reads and writes destination.result.append_to_file: a
// text file with one line per backup, so an operator (or a script doing
// `tail -n1 | awk '{print $NF}'`) finds the newest root cap.
//
// A line is
//
//	TIME gen:GENERATION SOURCE CAP
//
// TIME is local RFC 3339 with microseconds, SOURCE the picked source path
// (a backslash, a newline or a carriage return in it is written \\, \n, \r)
// and CAP the root cap, always the last field as in the original tool. Lines
// written by the original tool have no gen: field; they parse with
// Generation 0. The file is created 0600 because it holds caps.
//
// Writers serialise on an flock of the side file FILE.lock, so an append
// during a cleanup's rewrite is never lost.
package resultfile

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/internal/atomicfile"
	"github.com/lafs-backup/lafs-backup/internal/secretfile"
)

// Line is one backup's record.
type Line struct {
	Time       time.Time
	Generation int64 // 0 for lines without a gen: field (the original tool's)
	Source     string
	Cap        string // secret: never log it
}

// Format renders l as a line without its newline.
func (l Line) Format() string {
	src := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(l.Source)
	return fmt.Sprintf("%s gen:%d %s %s",
		l.Time.Local().Format("2006-01-02T15:04:05.000000Z07:00"), l.Generation, src, l.Cap)
}

// Parse reads one line. ok is false for blank or foreign lines, which
// Rewrite keeps untouched.
func Parse(s string) (l Line, ok bool) {
	f := strings.Fields(s)
	if len(f) < 3 || !strings.HasPrefix(f[len(f)-1], "URI:") {
		return Line{}, false
	}
	l.Cap = f[len(f)-1]
	l.Time = parseTime(f[0])
	rest := f[1 : len(f)-1]
	if g, found := strings.CutPrefix(rest[0], "gen:"); found && len(rest) > 1 {
		n, err := strconv.ParseInt(g, 10, 64)
		if err == nil {
			l.Generation = n
			rest = rest[1:]
		}
	}
	src := strings.Join(rest, " ")
	l.Source = strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\r`, "\r").Replace(src)
	return l, true
}

func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Append adds l to the file at path, creating it 0600 (an existing file is
// made 0600 too: it holds caps).
func Append(path string, l Line) error {
	unlock, err := lock(path)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := secretfile.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE)
	if err != nil {
		return fmt.Errorf("append_to_file: %w", err)
	}
	if _, err := f.WriteString(l.Format() + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("append_to_file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("append_to_file %s: %w", path, err)
	}
	return f.Close()
}

// Rewrite removes every parsed line for which drop returns true, atomically
// (temporary file, fsync, rename). Blank and foreign lines survive. It
// returns how many lines were removed; a missing file removes nothing.
func Rewrite(path string, drop func(Line) bool) (int, error) {
	unlock, err := lock(path)
	if err != nil {
		return 0, err
	}
	defer unlock()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("append_to_file: %w", err)
	}
	var out bytes.Buffer
	removed := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		if l, ok := Parse(sc.Text()); ok && drop(l) {
			removed++
			continue
		}
		out.Write(sc.Bytes())
		out.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("append_to_file %s: %w", path, err)
	}
	if removed == 0 {
		return 0, nil
	}
	return removed, replace(path, out.Bytes())
}

// Read returns the parsed lines of the file (blank and foreign ones skipped).
func Read(path string) ([]Line, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("append_to_file: %w", err)
	}
	var lines []Line
	for _, s := range strings.Split(string(data), "\n") {
		if l, ok := Parse(s); ok {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

func replace(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, 0o600, data); err != nil {
		return fmt.Errorf("append_to_file %s: rewrite: %w", path, err)
	}
	return nil
}

// lock takes the exclusive flock on path + ".lock".
func lock(path string) (func(), error) {
	f, err := secretfile.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("append_to_file lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("append_to_file lock %s: %w", f.Name(), err)
	}
	return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
}
