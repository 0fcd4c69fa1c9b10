package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The trees are deterministic: the same kind, size and seed give the same
// names, bytes, modes and mtimes. Each tool (and each repetition of a first
// backup) gets its own seed, because the gateway's convergent encryption
// would otherwise let the second uploader of identical bytes skip the
// share writes.

// baseTime is the mtime generated entries get (plus a per-entry offset).
var baseTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// tree describes a generated tree.
type tree struct {
	Root     string
	Files    int      // regular files
	Dirs     int      // directories, the root included
	Symlinks int      // symlinks (tahoe backup skips them)
	Bytes    int64    // bytes of regular files
	paths    []string // regular files, relative to Root, in creation order
}

// Objects is what both tools turn into grid objects: files and directories.
func (t tree) Objects() int { return t.Files + t.Dirs }

// Entries is what phase one records: every file, directory and symlink.
func (t tree) Entries() int { return t.Files + t.Dirs + t.Symlinks }

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6c6166732d62656e)) }

// vocabulary is a fixed list of pseudo-words for compressible text.
var vocabulary = func() []string {
	r := newRand(1)
	syll := []string{"ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "an", "or", "el", "ust", "pri", "dor", "fen"}
	words := make([]string, 1024)
	for i := range words {
		var b strings.Builder
		for n := 1 + r.IntN(4); n > 0; n-- {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		words[i] = b.String()
	}
	return words
}()

// writeText writes n bytes of lines of words from the vocabulary (text
// that xz shrinks to about a quarter).
func writeText(w io.Writer, n int64, r *rand.Rand) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	var line []byte
	for n > 0 {
		line = line[:0]
		for len(line) < 72 {
			line = append(line, vocabulary[r.IntN(len(vocabulary))]...)
			line = append(line, ' ')
		}
		line[len(line)-1] = '\n'
		if int64(len(line)) > n {
			line = line[:n]
		}
		if _, err := bw.Write(line); err != nil {
			return err
		}
		n -= int64(len(line))
	}
	return bw.Flush()
}

// writeRandom writes n incompressible bytes.
func writeRandom(w io.Writer, n int64, seed uint64) error {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	_, err := io.CopyN(w, rand.NewChaCha8(s), n)
	return err
}

// writeFile creates path with n bytes of text or random content and sets
// its mtime.
func writeFile(path string, n int64, text bool, seed uint64, mtime time.Time) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if text {
		err = writeText(f, n, newRand(seed))
	} else {
		err = writeRandom(f, n, seed)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Chtimes(path, mtime, mtime)
}

// builder accumulates a tree as it is written.
type builder struct {
	t    tree
	dirs []string        // relative, "" = root
	made map[string]bool // directories fanOut made
}

func (b *builder) mkdir(rel string) error {
	if err := os.MkdirAll(filepath.Join(b.t.Root, rel), 0o755); err != nil {
		return err
	}
	b.dirs = append(b.dirs, rel)
	b.t.Dirs++
	return nil
}

func (b *builder) file(rel string, n int64, text bool, seed uint64) error {
	mtime := baseTime.Add(time.Duration(len(b.t.paths)) * time.Second)
	if err := writeFile(filepath.Join(b.t.Root, rel), n, text, seed, mtime); err != nil {
		return err
	}
	b.t.paths = append(b.t.paths, rel)
	b.t.Files++
	b.t.Bytes += n
	return nil
}

func (b *builder) symlink(rel, target string) error {
	p := filepath.Join(b.t.Root, rel)
	if err := os.Symlink(target, p); err != nil {
		return err
	}
	ts := []unix.Timespec{unix.NsecToTimespec(baseTime.UnixNano()), unix.NsecToTimespec(baseTime.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("lutimes %s: %w", p, err)
	}
	b.t.Symlinks++
	return nil
}

// finish gives every directory a fixed mtime (deepest first, since
// creating entries changed them).
func (b *builder) finish() (tree, error) {
	for i := len(b.dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(filepath.Join(b.t.Root, b.dirs[i]), baseTime, baseTime); err != nil {
			return b.t, err
		}
	}
	return b.t, nil
}

// fanOut makes top and top/sub unless they exist and returns top/sub.
func (b *builder) fanOut(top, sub string) (string, error) {
	dir := top + "/" + sub
	for _, d := range []string{top, dir} {
		if !b.made[d] {
			if err := b.mkdir(d); err != nil {
				return "", err
			}
			b.made[d] = true
		}
	}
	return dir, nil
}

func newBuilder(root string) (*builder, error) {
	if err := os.RemoveAll(root); err != nil {
		return nil, err
	}
	b := &builder{t: tree{Root: root}, made: map[string]bool{}}
	return b, b.mkdir("")
}

// genSmall writes n files of 1-8 KiB, half text (*.txt) and half random
// (*.bin), 50 to a directory, in a two-level fan-out of ten.
func genSmall(root string, n int, seed uint64) (tree, error) {
	b, err := newBuilder(root)
	if err != nil {
		return tree{}, err
	}
	r := newRand(seed)
	const perDir = 50
	for i := range n {
		leaf := i / perDir
		dir, err := b.fanOut(fmt.Sprintf("d%02d", leaf/10), fmt.Sprintf("s%02d", leaf%10))
		if err != nil {
			return tree{}, err
		}
		size := 1024 + r.Int64N(7*1024+1)
		text := r.IntN(2) == 0
		name := fmt.Sprintf("%s/f%05d.bin", dir, i)
		if text {
			name = fmt.Sprintf("%s/f%05d.txt", dir, i)
		}
		if err := b.file(name, size, text, r.Uint64()); err != nil {
			return tree{}, err
		}
	}
	return b.finish()
}

// genMixed writes about n entries: 8% directories in a random tree (mean
// depth about 7), 2% symlinks, 3% empty files, 30% files of 1-55 bytes
// (LIT caps), 52% of 56 B-8 KiB, 5% of 8-64 KiB; text and random content
// alike.
func genMixed(root string, n int, seed uint64) (tree, error) {
	b, err := newBuilder(root)
	if err != nil {
		return tree{}, err
	}
	r := newRand(seed)
	nDirs := max(1, n*8/100)
	for i := 1; i < nDirs; i++ {
		// A random recursive tree: mean depth about ln(directories), 7-9
		// here, like real trees (a deeper tree costs path-based calls
		// such as lstat more than find's fd-relative ones).
		parent := b.dirs[r.IntN(len(b.dirs))]
		rel := fmt.Sprintf("dir%05d", i)
		if parent != "" {
			rel = parent + "/" + rel
		}
		if err := b.mkdir(rel); err != nil {
			return tree{}, err
		}
	}
	for i := 0; b.t.Entries() < n; i++ {
		dir := b.dirs[r.IntN(len(b.dirs))]
		rel := fmt.Sprintf("e%06d", i)
		if dir != "" {
			rel = dir + "/" + rel
		}
		p := r.IntN(100)
		switch {
		case p < 2:
			if err := b.symlink(rel+".lnk", fmt.Sprintf("../target-%d", i)); err != nil {
				return tree{}, err
			}
			continue
		case p < 5:
			err = b.file(rel+".empty", 0, true, 0)
		case p < 35:
			err = b.file(rel+".tiny", 1+r.Int64N(55), true, r.Uint64())
		case p < 95:
			err = b.file(mixedName(rel, r), 56+r.Int64N(8*1024-56), r.IntN(2) == 0, r.Uint64())
		default:
			err = b.file(mixedName(rel, r), 8*1024+r.Int64N(56*1024), r.IntN(2) == 0, r.Uint64())
		}
		if err != nil {
			return tree{}, err
		}
	}
	return b.finish()
}

func mixedName(rel string, r *rand.Rand) string {
	exts := []string{".txt", ".c", ".json", ".dat", ".log", ".conf", ".py", ".bin"}
	return rel + exts[r.IntN(len(exts))]
}

// genLarge writes two files of size bytes each: text.txt (compressible)
// and random.bin.
func genLarge(root string, size int64, seed uint64) (tree, error) {
	b, err := newBuilder(root)
	if err != nil {
		return tree{}, err
	}
	if err := b.file("text.txt", size, true, seed); err != nil {
		return tree{}, err
	}
	if err := b.file("random.bin", size, false, seed+1); err != nil {
		return tree{}, err
	}
	return b.finish()
}

// genBig writes one compressible text file of size bytes (bench/results.md: the
// memory check uses a file xz really works on).
func genBig(root string, size int64, seed uint64) (tree, error) {
	b, err := newBuilder(root)
	if err != nil {
		return tree{}, err
	}
	if err := b.file("big.txt", size, true, seed); err != nil {
		return tree{}, err
	}
	return b.finish()
}

// touch rewrites frac of the regular files (at least one) with new content
// of the same kind and a later mtime, choosing them by round so each round
// changes other files. It returns how many it changed.
func touch(t tree, frac float64, round int) (int, error) {
	r := newRand(uint64(1000 + round))
	k := max(1, int(float64(len(t.paths))*frac+0.5))
	mtime := baseTime.Add(time.Duration(round+1) * 24 * time.Hour)
	for _, i := range r.Perm(len(t.paths))[:k] {
		p := filepath.Join(t.Root, t.paths[i])
		st, err := os.Stat(p)
		if err != nil {
			return 0, err
		}
		// Same size (tahoe backup compares size and whole-second times),
		// new bytes, later mtime.
		if err := writeFile(p, st.Size(), strings.HasSuffix(p, ".txt"), r.Uint64(), mtime); err != nil {
			return 0, err
		}
	}
	return k, nil
}
