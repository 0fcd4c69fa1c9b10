package browse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// Walk lists the directory dir and everything below it in the order of
// ls -R: fn gets a directory with all its children, then Walk goes into
// each child directory in turn. One request per directory (none for dir
// when it is listed already). An error from fn or the grid ends the walk.
func Walk(ctx context.Context, g Grid, dir Entry, fn func(dir Entry, children []Entry) error) error {
	kids, err := List(ctx, g, dir)
	if err != nil {
		return err
	}
	if err := fn(dir, kids); err != nil {
		return err
	}
	for _, k := range kids {
		if err := ctx.Err(); err != nil {
			return err
		}
		if k.IsDir() {
			if err := Walk(ctx, g, k, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxTarget is the longest symlink target Linux accepts.
const maxTarget = 4095

// Target returns a symlink's target: its content, read from a LIT cap
// without a request, else downloaded.
func Target(ctx context.Context, g Grid, e Entry) (string, error) {
	if e.Edge.Meta.Type != fsmeta.TypeSymlink {
		return "", fmt.Errorf("%s is not a symlink", e.Display())
	}
	if e.Edge.Enc != "" {
		return "", fmt.Errorf("%s: a symlink with encoded content (%s)", e.Display(), e.Edge.Enc)
	}
	if b, ok := e.Node.Cap.LITData(); ok {
		return string(b), nil
	}
	rc, err := g.Download(ctx, e.Node.Cap)
	if err != nil {
		return "", fmt.Errorf("read the target of %s: %w", e.Display(), err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxTarget+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("read the target of %s: %w", e.Display(), err)
	case len(b) > maxTarget:
		return "", errors.New("symlink target longer than 4095 bytes")
	case bytes.IndexByte(b, 0) >= 0:
		return "", errors.New("symlink target contains NUL")
	}
	return string(b), nil
}
