package uploader

import (
	"testing"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

func TestHardlinkTableKeepsOnlyCandidates(t *testing.T) {
	file := func(path string, ino uint64) *node {
		return &node{kind: kindFile, path: path, meta: fsmeta.Meta{Type: fsmeta.TypeFile, Dev: 1, Ino: ino, Nlink: 2}}
	}
	for _, tc := range []struct {
		name      string
		cand      func(dev, ino uint64) bool
		wantTable int
		wantLink  string
	}{
		{"no filter keeps every multiply-linked file", nil, 2, "a"},
		{"candidates only", func(dev, ino uint64) bool { return ino == 10 }, 1, "a"},
		{"no candidates", func(dev, ino uint64) bool { return false }, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTree(tc.cand)
			first, outsider, second := file("a", 10), file("linked-elsewhere", 20), file("d/a2", 10)
			for _, n := range []*node{first, outsider, second} {
				tr.hardlink(n)
			}
			if len(tr.links.first) != tc.wantTable || second.hardlink != tc.wantLink || first.hardlink != "" || outsider.hardlink != "" {
				t.Errorf("table %d (want %d), second.hardlink %q (want %q)", len(tr.links.first), tc.wantTable, second.hardlink, tc.wantLink)
			}
		})
	}
}
