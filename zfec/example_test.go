package zfec_test

import (
	"fmt"

	"github.com/lafs-backup/lafs-backup/zfec"
)

func Example() {
	code, err := zfec.New(2, 4)
	if err != nil {
		panic(err)
	}
	segment := []byte("abcdefgh") // split into k=2 primary blocks
	blocks := [][]byte{segment[:4], segment[4:], make([]byte, 4), make([]byte, 4)}
	code.Encode(blocks[:2], blocks[2:])

	// Any two blocks give the primary blocks back: here the check blocks.
	primary, err := code.Decode([][]byte{blocks[3], blocks[2]}, []int{3, 2})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s%s\n", primary[0], primary[1])
	// Output: abcdefgh
}
