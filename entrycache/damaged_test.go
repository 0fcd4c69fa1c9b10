package entrycache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A damaged cache ends in a clear error that says what to do, never in
// silently wrong answers.
func TestDamagedCache(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, path string, size int64)
	}{
		{"truncated to half", func(t *testing.T, path string, size int64) {
			if err := os.Truncate(path, size/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"pages overwritten", func(t *testing.T, path string, size int64) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			junk := []byte(strings.Repeat("\xa5", int(size-4096)))
			if _, err := f.WriteAt(junk, 4096); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cache.db")
			db := openTest(t, path)
			r, _ := mustBegin(t, db, "/src", false)
			b := db.NewBatch(r)
			for i := 0; i < 3000; i++ {
				mustPut(t, b, fmt.Sprint(i), KindFile)
			}
			mustCommit(t, b)
			db.Close()
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			c.damage(t, path, st.Size())
			_, err = Open(context.Background(), path, Options{})
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "move the file aside") {
				t.Fatalf("Open of a damaged cache: %v; want ErrDamaged saying what to do", err)
			}
		})
	}
}
