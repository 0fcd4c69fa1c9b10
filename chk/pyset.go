package chk

// pySetOrder returns keys (distinct non-negative ints) in the order CPython
// 3.11 iterates a set built by adding them one by one. Tahoe writes each
// share's share-hash-tree nodes in that order (encode.py
// send_all_share_hash_trees iterates HashTree.needed_hashes, a set), so
// share bytes identical to Tahoe's need it; readers accept any order.
//
// This follows Objects/setobject.c: an int hashes to itself; a slot is
// probed at hash&mask, then up to 9 following slots when they fit, then
// perturbed; when fill*5 >= mask*3 after an insertion the table grows to
// the smallest power of two above 4*used and the entries are reinserted in
// slot order. The golden test compares every n <= 256 with Python.
func pySetOrder(keys []int) []int {
	table := newPyTable(8)
	used := 0
	for _, key := range keys {
		if table.contains(key) {
			continue
		}
		table.insert(key)
		used++
		if used*5 >= (len(table)-1)*3 {
			table = table.grow(used * 4)
		}
	}
	var out []int
	for _, k := range table {
		if k >= 0 {
			out = append(out, k)
		}
	}
	return out
}

const (
	pyLinearProbes = 9
	pyPerturbShift = 5
)

// pyTable is a set's slot array; -1 is an empty slot.
type pyTable []int

func newPyTable(size int) pyTable {
	t := make(pyTable, size)
	for i := range t {
		t[i] = -1
	}
	return t
}

// probe calls visit on slots in CPython's probe order until it returns true.
func (t pyTable) probe(hash int, visit func(slot int) bool) {
	mask := uint(len(t) - 1)
	perturb := uint(hash)
	i := uint(hash) & mask
	for {
		if visit(int(i)) {
			return
		}
		if i+pyLinearProbes <= mask {
			for j := uint(1); j <= pyLinearProbes; j++ {
				if visit(int(i + j)) {
					return
				}
			}
		}
		perturb >>= pyPerturbShift
		i = (i*5 + 1 + perturb) & mask
	}
}

func (t pyTable) contains(key int) bool {
	found := false
	t.probe(key, func(s int) bool {
		found = t[s] == key
		return t[s] == -1 || found
	})
	return found
}

func (t pyTable) insert(key int) {
	t.probe(key, func(s int) bool {
		if t[s] == -1 {
			t[s] = key
			return true
		}
		return false
	})
}

// grow is set_table_resize(minused): reinsert in old slot order.
func (t pyTable) grow(minUsed int) pyTable {
	size := 8
	for size <= minUsed {
		size <<= 1
	}
	nt := newPyTable(size)
	for _, k := range t {
		if k >= 0 {
			nt.insert(k)
		}
	}
	return nt
}
