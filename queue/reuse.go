package queue

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/lafs-backup/lafs-backup/internal/pathesc"
)

// ErrOtherSource marks a queue built from another source directory.
var ErrOtherSource = errors.New("queue built from another source")

// ErrNoSummary marks a queue older than format version 3: it does not say
// whether its walk had errors, so a backup made from it could not tell ok
// from partial.
var ErrNoSummary = errors.New("queue does not record its walk's errors (format older than 3)")

// Reusable reports whether the queue at path can be used instead of
// walking source again: it reads completely (trailer, checksum, order) and
// its header names the same source (compared as absolute paths), and its
// trailer says what the walk left out (version 3 and later).
//
// A missing file gives (false, nil). A queue that exists but cannot be
// used gives false and an error saying why (wrapping ErrIncomplete,
// ErrCorrupt, ErrOtherSource or ErrNoSummary), for the caller to log before rebuilding,
// or to report when the operator asked for --reuse-queue.
func Reusable(path, source string) (bool, error) {
	r, err := Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer r.Close()
	want, _ := filepath.Abs(source)
	if got := r.Header().Source; got != want {
		return false, fmt.Errorf("%w: %s was built from %s, not %s", ErrOtherSource, path, pathesc.Escape(got), pathesc.Escape(want))
	}
	for {
		_, err := r.Next()
		if err == io.EOF {
			if _, ok := r.Summary(); !ok {
				return false, fmt.Errorf("%w (%s)", ErrNoSummary, path)
			}
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("%w (%s)", err, path)
		}
	}
}
