// Package atomicfile replaces a file in one step: a reader (or a crash)
// sees the old content or the new, never a part. It is a leaf utility
// (imports nothing of ours), used by the queue, the result file and the
// metrics file.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Write creates a temporary file beside path (named ".BASE.tmp*", which
// globs like "*.prom" do not match), sets mode on it (not the umask's),
// lets write fill it, fsyncs it, renames it over path and fsyncs the
// directory. On any error the temporary file is removed and path is
// untouched.
func Write(path string, mode os.FileMode, write func(*os.File) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// WriteFile is Write of data.
func WriteFile(path string, mode os.FileMode, data []byte) error {
	return Write(path, mode, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("fsync dir: %w", err)
	}
	return nil
}
