package uploader

import (
	"testing"
	"time"
)

func TestFlushSoonCommitsAtMostEveryInterval(t *testing.T) {
	c := newFakeCache()
	now := time.Unix(1_000_000, 0)
	l := &lockedCache{c: c, now: func() time.Time { return now }}
	steps := []struct {
		advance time.Duration
		force   bool
		flushes int
	}{
		{0, false, 1},              // the first directory commits
		{flushEvery / 2, false, 1}, // too soon
		{flushEvery/2 - time.Nanosecond, false, 1},
		{time.Nanosecond, false, 2},  // flushEvery after the last commit
		{0, true, 3},                 // the end of a run always commits
		{time.Millisecond, false, 3}, // ... and counts as the last commit
		{flushEvery, false, 4},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		var err error
		if s.force {
			err = l.flush()
		} else {
			err = l.flushSoon()
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.flushes != s.flushes {
			t.Fatalf("step %d: %d flushes, want %d", i, c.flushes, s.flushes)
		}
	}
}
