package direct

import (
	"maps"
	"slices"
)

// happiness is the servers-of-happiness of a placement: the size of a
// maximum matching of share numbers to distinct servers holding them
// (Tahoe's docs/specifications/servers-of-happiness.rst), found with
// augmenting paths. Placements are small (at most 256 shares), so the
// simple algorithm is plenty.
func happiness[S comparable](placed map[int][]S) int {
	n, _ := match(placed)
	return n
}

// match is a maximum matching's size and the shares it matches.
func match[S comparable](placed map[int][]S) (int, map[int]bool) {
	owner := map[S]int{} // server -> the share matched to it
	for _, sh := range slices.Sorted(maps.Keys(placed)) {
		augment(placed, sh, owner, map[S]bool{})
	}
	matched := make(map[int]bool, len(owner))
	for _, sh := range owner {
		matched[sh] = true
	}
	return len(owner), matched
}

// augment tries to match share sh, moving earlier matches along an
// alternating path when its servers are taken.
func augment[S comparable](placed map[int][]S, sh int, owner map[S]int, seen map[S]bool) bool {
	for _, s := range placed[sh] {
		if seen[s] {
			continue
		}
		seen[s] = true
		other, taken := owner[s]
		if !taken || augment(placed, other, owner, seen) {
			owner[s] = sh
			return true
		}
	}
	return false
}

// union is a placement of both a and b.
func union[S comparable](a, b map[int][]S) map[int][]S {
	out := make(map[int][]S, len(a)+len(b))
	for _, m := range []map[int][]S{a, b} {
		for sh, ss := range m {
			for _, s := range ss {
				if !slices.Contains(out[sh], s) {
					out[sh] = append(out[sh], s)
				}
			}
		}
	}
	return out
}
