package lifecycle

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
)

// Policy is a retention policy: how many backups to keep per kind of
// period. The rules combine as a union, as restic's `forget` does: a backup
// is kept when any rule keeps it. A negative count keeps every period of
// that kind; zero disables the rule.
type Policy struct {
	Last    int // the N newest backups
	Hourly  int // the newest backup of each of the N newest hours that have one
	Daily   int
	Weekly  int // ISO weeks
	Monthly int
	Yearly  int
}

// Empty reports whether the policy has no rule at all.
func (p Policy) Empty() bool { return p == Policy{} }

// String renders the policy as the flags that give it.
func (p Policy) String() string {
	s := ""
	for _, r := range p.rules() {
		if r.count != 0 {
			s += fmt.Sprintf(" --keep-%s %d", r.name, r.count)
		}
	}
	if s == "" {
		return "(none)"
	}
	return s[1:]
}

// Reasons a policy keeps a backup.
const (
	ReasonNewest = "newest successful" // never removed, whatever the rules say
)

type rule struct {
	name   string
	count  int
	bucket func(t time.Time, i int) int64
}

func (p Policy) rules() []rule {
	return []rule{
		{"last", p.Last, func(_ time.Time, i int) int64 { return int64(i) }},
		{"hourly", p.Hourly, func(t time.Time, _ int) int64 {
			return int64(t.Year())*1e6 + int64(t.YearDay())*100 + int64(t.Hour())
		}},
		{"daily", p.Daily, func(t time.Time, _ int) int64 { return int64(t.Year())*1000 + int64(t.YearDay()) }},
		{"weekly", p.Weekly, func(t time.Time, _ int) int64 { y, w := t.ISOWeek(); return int64(y)*100 + int64(w) }},
		{"monthly", p.Monthly, func(t time.Time, _ int) int64 { return int64(t.Year())*100 + int64(t.Month()) }},
		{"yearly", p.Yearly, func(t time.Time, _ int) int64 { return int64(t.Year()) }},
	}
}

// Decision is what a policy says about one backup.
type Decision struct {
	Backup  entrycache.Backup
	Keep    bool
	Reasons []string // the rules that keep it ("last", "daily", ..., ReasonNewest)
}

// ApplyPolicy decides which backups p keeps. Backups are grouped by their
// configured source pattern (Backup.Source) and each group is judged on its
// own: newest first by finish time (then by generation), periods computed
// in loc (local time). In each group the newest successful (StatusOK)
// backup is always kept, or the newest backup if none is successful, so a
// policy can never remove a source's last good backup.
//
// The result holds one decision per backup, grouped by source (in order of
// the sources' names), newest first within a group.
func ApplyPolicy(backups []entrycache.Backup, p Policy, loc *time.Location) []Decision {
	if loc == nil {
		loc = time.Local
	}
	groups := map[string][]entrycache.Backup{}
	for _, b := range backups {
		groups[b.Source] = append(groups[b.Source], b)
	}
	sources := make([]string, 0, len(groups))
	for s := range groups {
		sources = append(sources, s)
	}
	slices.Sort(sources)
	var out []Decision
	for _, s := range sources {
		out = append(out, applyGroup(groups[s], p, loc)...)
	}
	return out
}

func applyGroup(group []entrycache.Backup, p Policy, loc *time.Location) []Decision {
	slices.SortStableFunc(group, newestFirst)
	ds := make([]Decision, len(group))
	for i, b := range group {
		ds[i].Backup = b
	}
	for _, r := range p.rules() {
		applyRule(ds, r, loc)
	}
	protectNewest(ds)
	return ds
}

// newestFirst orders backups by finish time, then generation, descending.
func newestFirst(a, b entrycache.Backup) int {
	if c := b.Finished.Compare(a.Finished); c != 0 {
		return c
	}
	return cmp.Compare(b.Generation, a.Generation)
}

// applyRule keeps the newest backup of each period, for r.count periods.
func applyRule(ds []Decision, r rule, loc *time.Location) {
	left := r.count
	var last int64
	first := true
	for i := range ds {
		if left == 0 {
			return
		}
		bucket := r.bucket(ds[i].Backup.Finished.In(loc), i)
		if !first && bucket == last {
			continue
		}
		first, last = false, bucket
		ds[i].Keep = true
		ds[i].Reasons = append(ds[i].Reasons, r.name)
		if left > 0 {
			left--
		}
	}
}

// protectNewest keeps the group's newest successful backup (or its newest
// backup when none succeeded fully).
func protectNewest(ds []Decision) {
	if len(ds) == 0 {
		return
	}
	pick := 0
	for i, d := range ds {
		if d.Backup.Status == entrycache.StatusOK {
			pick = i
			break
		}
	}
	ds[pick].Keep = true
	ds[pick].Reasons = append(ds[pick].Reasons, ReasonNewest)
}
