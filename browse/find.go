package browse

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/lafs-backup/lafs-backup/filter"
)

// Matcher decides whether an entry is one a search looks for.
type Matcher func(Entry) bool

// Glob compiles a find pattern (docs/browse.md): shell wildcards (*, ?,
// [...], \ to quote) as path.Match reads them, on raw names. A pattern
// without "/" is matched against each entry's name; one with "/" against
// the whole path from the backup's root (a leading "/" is optional), where
// "*" stays within one component and a "**" component matches any number
// of components (at least one at the end: "a/**" is what is below a). A
// trailing "/" matches directories only.
func Glob(pattern string) (Matcher, error) {
	dirOnly := strings.HasSuffix(pattern, "/") && len(pattern) > 1
	p := strings.TrimSuffix(pattern, "/")
	if p == "" {
		return nil, errors.New("empty pattern")
	}
	if !strings.Contains(p, "/") {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("pattern %q: %w", pattern, err)
		}
		return func(e Entry) bool {
			ok, _ := path.Match(p, e.Name)
			return ok && (!dirOnly || e.IsDir())
		}, nil
	}
	comps := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for _, c := range comps {
		if _, err := path.Match(c, ""); err != nil {
			return nil, fmt.Errorf("pattern %q: %w", pattern, err)
		}
	}
	return func(e Entry) bool {
		return (!dirOnly || e.IsDir()) && matchComponents(comps, strings.Split(e.Path, "/"))
	}, nil
}

// matchComponents matches path components against pattern components,
// "**" standing for any number of them.
func matchComponents(pat, comps []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			if len(pat) == 1 {
				return len(comps) > 0 // a final "**": everything below, not the directory itself
			}
			for i := 0; i <= len(comps); i++ {
				if matchComponents(pat[1:], comps[i:]) {
					return true
				}
			}
			return false
		}
		if len(comps) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], comps[0]); !ok {
			return false
		}
		pat, comps = pat[1:], comps[1:]
	}
	return len(comps) == 0
}

// Regexp compiles a Go RE2 regexp matched as a filter rule is
// (docs/filter.md): an unanchored search in "/" + the path, with a
// trailing "/" for directories, so a rule of the configuration finds what
// it matches.
func Regexp(pattern string) (Matcher, error) {
	f, err := filter.Parse([]string{"+" + pattern})
	if err != nil {
		return nil, err
	}
	return func(e Entry) bool {
		_, rule := f.Match(e.Path, e.IsDir())
		return rule == 0
	}, nil
}

// Searcher finds the matching entries of many backups. Each distinct
// directory (cap and path) is read and searched once, so K backups that
// share most of their tree cost about what one does.
type Searcher struct {
	g     Grid
	match Matcher
	memo  map[dirKey]*found
	// Listed counts the directory listings read.
	Listed int
}

type dirKey struct{ cap, path string }

// found is what a directory holds that matches: its matching children
// and the found of its child directories with matches below, in order.
// nil means nothing.
type found struct{ items []item }

type item struct {
	e   *Entry // a matching child
	sub *found // a child directory's matches
}

// NewSearcher returns a Searcher for match.
func NewSearcher(g Grid, match Matcher) *Searcher {
	return &Searcher{g: g, match: match, memo: map[dirKey]*found{}}
}

// Search calls fn for each entry below the directory root that matches,
// in path order (a directory before what is below it).
func (s *Searcher) Search(ctx context.Context, root Entry, fn func(Entry) error) error {
	f, err := s.dir(ctx, root)
	if err != nil {
		return err
	}
	return f.each(fn)
}

func (s *Searcher) dir(ctx context.Context, d Entry) (*found, error) {
	key := dirKey{d.Node.Cap.Secret(), d.Path}
	if f, ok := s.memo[key]; ok && !d.Node.Cap.IsZero() {
		return f, nil
	}
	if !d.listed {
		s.Listed++
	}
	kids, err := List(ctx, s.g, d)
	if err != nil {
		return nil, err
	}
	var f found
	for i := range kids {
		k := &kids[i]
		if s.match(*k) {
			e := *k // a copy: the item must not keep its siblings alive
			f.items = append(f.items, item{e: &e})
		}
		if !k.IsDir() {
			continue
		}
		sub, err := s.dir(ctx, *k)
		if err != nil {
			return nil, err
		}
		if sub != nil {
			f.items = append(f.items, item{sub: sub})
		}
	}
	var out *found
	if len(f.items) > 0 {
		out = &f
	}
	s.memo[key] = out
	return out, nil
}

func (f *found) each(fn func(Entry) error) error {
	if f == nil {
		return nil
	}
	for _, it := range f.items {
		var err error
		if it.e != nil {
			err = fn(*it.e)
		} else {
			err = it.sub.each(fn)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
