package lifecycle

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
)

// Selection says what cleanup removes: either explicit choices (IDs,
// Generations, UpTo, combined as a union) or a retention Policy.
type Selection struct {
	IDs         []int64 // backups chosen by cap, name or gen:N
	Generations []int64 // these generations: their backups and their cache rows (dangling ones too)
	UpTo        int64   // every backup and cache generation up to this one; 0 = none
	Policy      Policy  // remove every backup the policy does not keep
	Location    *time.Location
}

// ErrMixedSelection: a retention policy decides alone.
var ErrMixedSelection = errors.New("lifecycle: a retention policy cannot be combined with backups or generations to remove")

// CleanupPlan is what a cleanup removes and keeps.
type CleanupPlan struct {
	Remove []entrycache.Backup // by generation, oldest first
	Keep   []entrycache.Backup
	// Generations are the cache generations to delete: those of removed
	// backups, and dangling ones asked for. A generation a kept backup
	// carries is never among them.
	Generations []int64
	Decisions   []Decision // the policy's verdicts, when a policy chose
}

// Plan decides what sel removes among backups (every recorded backup) and
// the cache generations gens (entrycache.DB.Generations).
func Plan(backups []entrycache.Backup, gens []entrycache.GenerationCount, sel Selection) (CleanupPlan, error) {
	explicit := len(sel.IDs) > 0 || len(sel.Generations) > 0 || sel.UpTo > 0
	if explicit && !sel.Policy.Empty() {
		return CleanupPlan{}, ErrMixedSelection
	}
	var p CleanupPlan
	remove := map[int64]bool{}
	if !sel.Policy.Empty() {
		p.Decisions = ApplyPolicy(slices.Clone(backups), sel.Policy, sel.Location)
		for _, d := range p.Decisions {
			remove[d.Backup.ID] = !d.Keep
		}
	}
	ids := setOf(sel.IDs)
	asked := setOf(sel.Generations)
	for _, b := range backups {
		if ids[b.ID] || asked[b.Generation] || (sel.UpTo > 0 && b.Generation <= sel.UpTo) {
			remove[b.ID] = true
		}
	}
	for _, b := range backups {
		if remove[b.ID] {
			p.Remove = append(p.Remove, b)
		} else {
			p.Keep = append(p.Keep, b)
		}
	}
	slices.SortFunc(p.Remove, byGeneration)
	slices.SortFunc(p.Keep, byGeneration)
	p.Generations = cacheGenerations(p, gens, sel)
	return p, nil
}

func byGeneration(a, b entrycache.Backup) int {
	return cmp.Or(cmp.Compare(a.Generation, b.Generation), cmp.Compare(a.ID, b.ID))
}

// cacheGenerations lists the generations whose cache rows go.
func cacheGenerations(p CleanupPlan, gens []entrycache.GenerationCount, sel Selection) []int64 {
	kept := map[int64]bool{}
	for _, b := range p.Keep {
		kept[b.Generation] = true
	}
	out := map[int64]bool{}
	for _, b := range p.Remove {
		out[b.Generation] = true
	}
	for _, g := range sel.Generations {
		out[g] = true
	}
	for _, g := range gens {
		if sel.UpTo > 0 && g.Generation <= sel.UpTo {
			out[g.Generation] = true
		}
	}
	var list []int64
	for g := range out {
		if !kept[g] {
			list = append(list, g)
		}
	}
	slices.Sort(list)
	return list
}

func setOf(xs []int64) map[int64]bool {
	m := make(map[int64]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
