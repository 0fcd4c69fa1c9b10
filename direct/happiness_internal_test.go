package direct

import "testing"

func TestHappiness(t *testing.T) {
	for _, c := range []struct {
		name   string
		placed map[int][]string
		want   int
	}{
		{"nothing", map[int][]string{}, 0},
		{"one per server", map[int][]string{0: {"a"}, 1: {"b"}, 2: {"c"}, 3: {"d"}}, 4},
		{"all on one server", map[int][]string{0: {"a"}, 1: {"a"}, 2: {"a"}, 3: {"a"}}, 1},
		{"four shares, three servers", map[int][]string{0: {"a"}, 1: {"b"}, 2: {"c"}, 3: {"a"}}, 3},
		// a greedy choice of a for share 0 would block share 1
		{"needs an augmenting path", map[int][]string{0: {"a", "b"}, 1: {"a"}}, 2},
		{"copies of one share", map[int][]string{0: {"a", "b", "c"}}, 1},
		{"chain", map[int][]string{0: {"a", "b"}, 1: {"b", "c"}, 2: {"c"}, 3: {"a"}}, 3},
	} {
		if got := happiness(c.placed); got != c.want {
			t.Errorf("%s: happiness %d, want %d", c.name, got, c.want)
		}
	}
}
