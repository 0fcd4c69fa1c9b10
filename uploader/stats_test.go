package uploader

import (
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/internal/pathesc"
)

// The entry being read is kept raw and escaped only when a snapshot is
// taken (status line, SIGUSR1), not once per entry.
func TestStatsCurrentEscapedOnSnapshot(t *testing.T) {
	calls := 0
	c := &counters{escape: func(s string) string { calls++; return pathesc.Escape(s) }}
	for _, p := range []string{"a", "b", "dir/new\nline"} {
		c.setCurrent(p)
	}
	if calls != 0 {
		t.Errorf("escaped %d times before any snapshot", calls)
	}
	if got, want := c.snapshot(time.Now()).Current, `dir/new\nline`; got != want {
		t.Errorf("Current = %q, want %q", got, want)
	}
	c.setCurrent("")
	if got := c.snapshot(time.Now()).Current; got != "" {
		t.Errorf("Current = %q after the root, want empty", got)
	}
}
