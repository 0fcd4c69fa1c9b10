package uploader

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// plannedSubtree is a directory the plan found unchanged with its whole
// subtree: the second pass drops the entries below it and reuses its row.
type plannedSubtree struct {
	id          subtreeID
	row         Subtree
	first, last int64 // stream ordinals of its first entry below and of its own entry
}

// plan lists the subtrees reused whole, in stream order, and the
// hardlink table of the whole stream: the second pass does not see the
// members inside the subtrees it passes over, which later members point
// at.
type plan struct {
	subs  []plannedSubtree
	links *linkTable
}

// planDir is one directory seen by the plan pass: about 120 bytes each.
type planDir struct {
	id   subtreeID
	ord  int64   // its own entry's ordinal
	kids []int32 // its subdirectories' indexes
}

// makePlan is RunFrom's first pass: it reads every entry to compute each
// directory's subtree key, then looks the keys up from the root down,
// stopping at each hit whose row is within the trust window. An
// unchanged tree costs one lookup; a changed entry costs the directories
// on its path and their subdirectories. docs/uploader.md, Subtrees.
func (u *Uploader) makePlan(ctx context.Context, entries Entries) (plan, int, error) {
	dirs, links, err := u.planDirs(ctx, entries)
	if err != nil || len(dirs) == 0 {
		return plan{}, 0, err
	}
	p := plan{links: links}
	lookups := 0
	stack := []int32{int32(len(dirs) - 1)} // the root comes last
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		d := &dirs[i]
		row, ok, err := u.cache.lookupSubtree(d.id.key)
		lookups++
		if err != nil {
			return plan{}, lookups, err
		}
		if ok && !u.staleSubtree(row) {
			p.subs = append(p.subs, plannedSubtree{id: d.id, row: row, first: d.ord - d.id.entries + 1, last: d.ord})
			continue
		}
		stack = append(stack, d.kids...)
	}
	slices.SortFunc(p.subs, func(a, b plannedSubtree) int { return cmp.Compare(a.last, b.last) })
	return p, lookups, nil
}

// planDirs reads the entries and returns every directory in stream order
// with its subtree key and subdirectories; the root is the last.
func (u *Uploader) planDirs(ctx context.Context, entries Entries) ([]planDir, *linkTable, error) {
	h := newSubtreeHasher(u.opts.SourcePattern, u.encodingOf)
	links := &linkTable{first: map[devIno]string{}, cand: u.opts.LinkCandidates}
	var dirs []planDir
	for ord := int64(0); ; ord++ {
		if ord&1023 == 0 && ctx.Err() != nil {
			return nil, nil, fmt.Errorf("uploader: %w", ctx.Err())
		}
		e, err := entries.Next()
		if errors.Is(err, io.EOF) {
			return dirs, links, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("uploader: read entries: %w", err)
		}
		if err := checkPath(e.Path); err != nil {
			return nil, nil, fmt.Errorf("uploader: %w", err)
		}
		if e.Meta.Type != fsmeta.TypeDir {
			ref := ""
			if e.Meta.Nlink > 1 {
				ref = links.ref(e.Path, &e.Meta)
			}
			h.leaf(e.Path, &e.Meta, ref)
			continue
		}
		id, kids := h.dir(e.Path, &e.Meta)
		dirs = append(dirs, planDir{id: id, ord: ord, kids: kids})
		if e.Path != "" {
			p := h.parentDigest(e.Path)
			p.childDir = append(p.childDir, int32(len(dirs)-1))
		}
	}
}

// staleSubtree says whether a subtree row is older than the trust window:
// the objects inside are then checked one by one, as the rows inside say.
func (u *Uploader) staleSubtree(s Subtree) bool {
	return u.opts.TrustWindow > 0 && u.opts.Now().Sub(s.RenewedAt) > u.opts.TrustWindow
}

// encodingOf is a file's encoding decision as its key and its subtree
// record have it.
func (u *Uploader) encodingOf(rel string, size int64) string {
	return encoding(u.opts.Compress(rel, size), u.opts.XZ.DictCap, size)
}
