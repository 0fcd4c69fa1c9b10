package tahoehash

import "strconv"

var (
	tagEmptyLeaf = []byte("Merkle tree empty leaf")
	tagNode      = []byte("Merkle tree internal node")
)

// EmptyLeafHash fills leaf position i (counted from the first leaf) of a
// tree whose leaf count is not a power of two.
func EmptyLeafHash(i int) Digest {
	return TaggedHash(tagEmptyLeaf, []byte(strconv.Itoa(i)))
}

// PairHash is the hash of an internal node from its children.
func PairHash(left, right Digest) Digest {
	return TaggedPairHash(tagNode, left[:], right[:])
}

// Tree is a complete binary Merkle tree laid out as hashtree.HashTree:
// node 0 is the root, node i's children are 2i+1 and 2i+2, and the leaves,
// padded to a power of two with EmptyLeafHash, are the last nodes.
type Tree []Digest

// NewTree builds the tree over leaves (at least one).
func NewTree(leaves []Digest) Tree {
	width := 1
	for width < len(leaves) {
		width *= 2
	}
	t := make(Tree, 2*width-1)
	first := width - 1
	copy(t[first:], leaves)
	for i := len(leaves); i < width; i++ {
		t[first+i] = EmptyLeafHash(i)
	}
	for i := first - 1; i >= 0; i-- {
		t[i] = PairHash(t[2*i+1], t[2*i+2])
	}
	return t
}

// Root is node 0.
func (t Tree) Root() Digest { return t[0] }

// FirstLeaf is the node index of leaf 0.
func (t Tree) FirstLeaf() int { return len(t) / 2 }

// NeededFor lists the nodes that validate leaf: the sibling of each node on
// the path from the leaf up to (not including) the root, leaf end first, as
// hashtree's needed_for does.
func (t Tree) NeededFor(leaf int) []int {
	var needed []int
	for i := t.FirstLeaf() + leaf; i != 0; i = (i - 1) / 2 {
		sib := i + 1
		if i%2 == 0 {
			sib = i - 1
		}
		needed = append(needed, sib)
	}
	return needed
}

// TreeNodes is the number of nodes of a tree over n leaves.
func TreeNodes(n int) int {
	width := 1
	for width < n {
		width *= 2
	}
	return 2*width - 1
}
