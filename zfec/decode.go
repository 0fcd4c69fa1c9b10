package zfec

import "fmt"

// Decode recovers the k primary blocks from any k distinct blocks and their
// block numbers: blocks[i] is block number nums[i], in any order, all of
// one length. The result holds primary blocks 0..k-1 in order; a primary
// block that was among the inputs is returned as given (same memory), the
// others are newly allocated.
func (c *Code) Decode(blocks [][]byte, nums []int) ([][]byte, error) {
	if err := c.checkDecode(blocks, nums); err != nil {
		return nil, err
	}
	out := make([][]byte, c.k)
	have := make([]bool, c.k)
	for i, num := range nums {
		if num < c.k {
			out[num], have[num] = blocks[i], true
		}
	}
	var missing []int
	for p, ok := range have {
		if !ok {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	coef, err := c.decodeRows(nums, missing)
	if err != nil {
		return nil, err
	}
	size := len(blocks[0])
	dst := make([][]byte, len(missing))
	for j, p := range missing {
		dst[j] = make([]byte, size)
		out[p] = dst[j]
	}
	newTables(coef, len(missing), c.k).apply(dst, blocks)
	return out, nil
}

func (c *Code) checkDecode(blocks [][]byte, nums []int) error {
	if len(blocks) != c.k || len(nums) != c.k {
		return fmt.Errorf("%w: decode: %d blocks and %d block numbers for a %d-of-%d code, want %d of each",
			ErrInvalid, len(blocks), len(nums), c.k, c.n, c.k)
	}
	seen := make([]bool, c.n)
	for i, num := range nums {
		switch {
		case num < 0 || num >= c.n:
			return fmt.Errorf("%w: decode: block number %d out of range 0..%d", ErrInvalid, num, c.n-1)
		case seen[num]:
			return fmt.Errorf("%w: decode: block number %d given twice", ErrInvalid, num)
		case len(blocks[i]) != len(blocks[0]):
			return fmt.Errorf("%w: decode: block %d is %d bytes, block %d is %d",
				ErrInvalid, num, len(blocks[i]), nums[0], len(blocks[0]))
		}
		seen[num] = true
	}
	return nil
}

// decodeRows returns, for each missing primary block, the k coefficients
// that rebuild it from the given blocks: the rows of the inverse of the
// matrix whose row i is the encoding row of block nums[i].
func (c *Code) decodeRows(nums, missing []int) ([]byte, error) {
	d := newMatrix(c.k, c.k)
	for i, num := range nums {
		if num < c.k {
			d.m[i*c.k+num] = 1
		} else {
			copy(d.row(i), c.enc[(num-c.k)*c.k:])
		}
	}
	inv, err := d.inverse()
	if err != nil {
		// Any k rows of the encoding matrix are independent.
		return nil, fmt.Errorf("zfec: decode %v: %w (a bug)", nums, err)
	}
	coef := make([]byte, 0, len(missing)*c.k)
	for _, p := range missing {
		coef = append(coef, inv.row(p)...)
	}
	return coef, nil
}
