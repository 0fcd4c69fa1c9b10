package chk

import (
	"sync"

	"github.com/lafs-backup/lafs-backup/zfec"
)

// erasureCode makes check blocks: dst[i] is block Needed+i.
type erasureCode interface {
	Encode(src, dst [][]byte)
}

// codes caches one zfec code per k-of-n: building one inverts a k×k
// matrix, which would dominate the CPU of a small file. A zfec.Code is
// safe for concurrent use.
var codes sync.Map // [2]int -> *zfec.Code

// erasure returns the zfec code Tahoe uses for k-of-n (codec.py CRSEncoder).
func erasure(k, n int) (erasureCode, error) {
	key := [2]int{k, n}
	if c, ok := codes.Load(key); ok {
		return c.(*zfec.Code), nil
	}
	c, err := zfec.New(k, n)
	if err != nil {
		return nil, err
	}
	actual, _ := codes.LoadOrStore(key, c)
	return actual.(*zfec.Code), nil
}
