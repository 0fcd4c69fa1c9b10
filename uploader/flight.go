package uploader

import (
	"context"
	"crypto/sha256"
	"sync"
)

// flights keeps two uploads of the same content from running at once. The
// gateway derives an object's storage index from its content (convergent
// encryption), and two concurrent uploads of one object make each other
// fail with UploadUnhappinessError ("shares could be placed ... but they
// are not spread out evenly enough"), seen on a real grid with two
// identical files. The second upload therefore waits for the first; by
// then the servers hold the shares and it succeeds at once.
//
// Keys identify content cheaply, without reading whole files: for a file
// its size, encoding and first bytes (so different files of one size and
// head wait for each other needlessly, never the reverse); for a symlink
// its target; for a directory its children. The table holds at most Jobs
// entries.
type flights struct {
	mu sync.Mutex
	m  map[[32]byte]chan struct{}
}

func newFlights() *flights { return &flights{m: map[[32]byte]chan struct{}{}} }

// acquire waits until no upload with key is in flight and registers one;
// the caller must call the returned release.
func (f *flights) acquire(ctx context.Context, key [32]byte) (release func(), err error) {
	for {
		f.mu.Lock()
		busy, ok := f.m[key]
		if !ok {
			ch := make(chan struct{})
			f.m[key] = ch
			f.mu.Unlock()
			return func() {
				f.mu.Lock()
				delete(f.m, key)
				f.mu.Unlock()
				close(ch)
			}, nil
		}
		f.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// headSize is how much of a file that is not probed identifies its content
// in the flight table.
const headSize = 4 << 10

// contentID identifies file content for the flight table.
func contentID(size int64, enc string, head []byte) [32]byte {
	k := newKey("content", "")
	k.num(size)
	k.str(enc)
	k.str(string(head))
	return k.sum()
}

func symlinkContentID(target string) [32]byte {
	return sha256.Sum256([]byte("symlink\x00" + target))
}

// dirContentID identifies a directory's content: its children.
func dirContentID(children []keyChild) ([32]byte, error) {
	k := newKey("dir-content", "")
	if err := k.children(children); err != nil {
		return [32]byte{}, err
	}
	return k.sum(), nil
}
