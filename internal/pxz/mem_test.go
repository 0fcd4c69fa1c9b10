package pxz

import (
	"bytes"
	"io"
	"testing"
)

// TestOutRoomHoldsIncompressibleBlocks: a block's output fits the room
// mapped for it even when nothing compresses, so it never grows onto the
// heap (docs/memory.md).
func TestOutRoomHoldsIncompressibleBlocks(t *testing.T) {
	for _, bs := range []int{MinBlockSize, DefaultBlockSize} {
		var out bytes.Buffer
		if err := compressBlock(&out, random(bs, 11), min(DefaultDictCap, bs)); err != nil {
			t.Fatal(err)
		}
		if out.Len() > outRoom(bs) {
			t.Errorf("block of %d random bytes compressed to %d, room is %d", bs, out.Len(), outRoom(bs))
		}
	}
}

// TestWriterMemoryIsMappedUntilClose: the blocks live outside the heap
// while the Writer works, and are given back by Close.
func TestWriterMemoryIsMappedUntilClose(t *testing.T) {
	zw, err := NewWriter(io.Discard, Options{BlockSize: MinBlockSize, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !zw.mem.Mapped() || len(zw.mem.Bytes()) != 3*(MinBlockSize+outRoom(MinBlockSize)) {
		t.Fatalf("blocks not mapped, or %d bytes for 3 blocks", len(zw.mem.Bytes()))
	}
	if _, err := zw.Write(random(5*MinBlockSize+3, 12)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw.mem.Bytes() != nil {
		t.Error("Close kept the blocks' memory")
	}
	if _, err := zw.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
}
