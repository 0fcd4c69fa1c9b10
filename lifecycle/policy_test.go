package lifecycle

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
)

// bk makes a backup of generation gen finished at the local time ts
// ("2026-01-02 15:04") in loc.
func bk(t *testing.T, loc *time.Location, gen int64, source, ts string, status entrycache.Status) entrycache.Backup {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04", ts, loc)
	if err != nil {
		t.Fatal(err)
	}
	return entrycache.Backup{ID: gen, Generation: gen, Name: "snap", Source: source, Finished: tm, Status: status}
}

// kept renders the decisions as "gen:reason+reason" for kept backups, in
// decision order.
func kept(ds []Decision) string {
	var parts []string
	for _, d := range ds {
		if d.Keep {
			parts = append(parts, fmt.Sprintf("%d:%s", d.Backup.Generation, strings.Join(d.Reasons, "+")))
		}
	}
	return strings.Join(parts, " ")
}

func TestApplyPolicy(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	ok, partial := entrycache.StatusOK, entrycache.StatusPartial
	// Ten backups of one source over about a year and a half, oldest first.
	series := func(t *testing.T) []entrycache.Backup {
		return []entrycache.Backup{
			bk(t, loc, 1, "/s/*", "2025-01-15 10:00", ok),
			bk(t, loc, 2, "/s/*", "2025-06-01 10:00", ok),
			bk(t, loc, 3, "/s/*", "2025-12-30 10:00", ok),
			bk(t, loc, 4, "/s/*", "2026-01-05 10:00", ok), // ISO week 2 of 2026
			bk(t, loc, 5, "/s/*", "2026-01-06 09:00", ok),
			bk(t, loc, 6, "/s/*", "2026-01-06 09:30", ok),
			bk(t, loc, 7, "/s/*", "2026-01-06 23:00", ok),
			bk(t, loc, 8, "/s/*", "2026-01-07 01:00", ok),
			bk(t, loc, 9, "/s/*", "2026-01-07 01:10", ok),
			bk(t, loc, 10, "/s/*", "2026-01-07 03:00", ok),
		}
	}
	cases := []struct {
		name   string
		in     func(t *testing.T) []entrycache.Backup
		policy Policy
		want   string
	}{
		{"last 2", series, Policy{Last: 2},
			"10:last+newest successful 9:last"},
		{"last 0 keeps only the newest", series, Policy{Hourly: 0},
			"10:newest successful"},
		{"hourly 3: newest per hour", series, Policy{Hourly: 3},
			"10:hourly+newest successful 9:hourly 7:hourly"},
		{"daily 3", series, Policy{Daily: 3},
			"10:daily+newest successful 7:daily 4:daily"},
		{"weekly 2: ISO weeks", series, Policy{Weekly: 2},
			"10:weekly+newest successful 3:weekly"},
		{"monthly 3", series, Policy{Monthly: 3},
			"10:monthly+newest successful 3:monthly 2:monthly"},
		{"yearly 5 has fewer periods than asked", series, Policy{Yearly: 5},
			"10:yearly+newest successful 3:yearly"},
		{"union of last, daily and yearly", series, Policy{Last: 1, Daily: 2, Yearly: 2},
			"10:last+daily+yearly+newest successful 7:daily 3:yearly"},
		{"negative count keeps every period", series, Policy{Monthly: -1},
			"10:monthly+newest successful 3:monthly 2:monthly 1:monthly"},
		{"newest successful kept although the newest is partial", func(t *testing.T) []entrycache.Backup {
			return []entrycache.Backup{
				bk(t, loc, 1, "/s/*", "2026-01-01 10:00", ok),
				bk(t, loc, 2, "/s/*", "2026-01-02 10:00", ok),
				bk(t, loc, 3, "/s/*", "2026-01-03 10:00", partial),
			}
		}, Policy{Last: 1}, "3:last 2:newest successful"},
		{"only partial backups: the newest is kept", func(t *testing.T) []entrycache.Backup {
			return []entrycache.Backup{
				bk(t, loc, 1, "/s/*", "2026-01-01 10:00", partial),
				bk(t, loc, 2, "/s/*", "2026-01-02 10:00", partial),
			}
		}, Policy{Daily: 0}, "2:newest successful"},
		{"sources are judged apart", func(t *testing.T) []entrycache.Backup {
			return []entrycache.Backup{
				bk(t, loc, 1, "/a/*", "2026-01-01 10:00", ok),
				bk(t, loc, 2, "/b/*", "2026-01-02 10:00", ok),
				bk(t, loc, 3, "/a/*", "2026-01-03 10:00", ok),
				bk(t, loc, 4, "/b/*", "2026-01-04 10:00", ok),
				bk(t, loc, 5, "/a/*", "2026-01-05 10:00", ok),
			}
		}, Policy{Last: 2}, "5:last+newest successful 3:last 4:last+newest successful 2:last"},
		{"same finish time: the higher generation is newer", func(t *testing.T) []entrycache.Backup {
			return []entrycache.Backup{
				bk(t, loc, 2, "/s/*", "2026-01-01 10:00", ok),
				bk(t, loc, 1, "/s/*", "2026-01-01 10:00", ok),
			}
		}, Policy{Last: 1}, "2:last+newest successful"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ApplyPolicy(c.in(t), c.policy, loc)
			if k := kept(got); k != c.want {
				t.Errorf("kept %q\nwant %q", k, c.want)
			}
		})
	}
}

// Periods are judged in the given location: two backups on one UTC day but
// on different local days are two daily periods.
func TestApplyPolicyUsesLocalTime(t *testing.T) {
	ok := entrycache.StatusOK
	utc := []entrycache.Backup{
		bk(t, time.UTC, 1, "s", "2026-03-01 01:00", ok),
		bk(t, time.UTC, 2, "s", "2026-03-01 06:00", ok),
	}
	if k := kept(ApplyPolicy(slices.Clone(utc), Policy{Daily: 5}, time.UTC)); k != "2:daily+newest successful" {
		t.Errorf("UTC: kept %q", k)
	}
	behind := time.FixedZone("UTC-3", -3*3600) // 1:00 UTC is the evening before
	if k := kept(ApplyPolicy(slices.Clone(utc), Policy{Daily: 5}, behind)); k != "2:daily+newest successful 1:daily" {
		t.Errorf("UTC-3: kept %q", k)
	}
}

// Every backup gets exactly one decision, and nothing is lost or invented.
func TestApplyPolicyDecidesEveryBackupOnce(t *testing.T) {
	var in []entrycache.Backup
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 500 {
		src := []string{"a", "b", "c"}[i%3]
		b := entrycache.Backup{ID: int64(i + 1), Generation: int64(i + 1), Source: src,
			Finished: start.Add(time.Duration(i) * 7 * time.Hour), Status: entrycache.StatusOK}
		in = append(in, b)
	}
	ds := ApplyPolicy(in, Policy{Last: 3, Daily: 7, Weekly: 4, Monthly: 12}, time.UTC)
	if len(ds) != len(in) {
		t.Fatalf("%d decisions for %d backups", len(ds), len(in))
	}
	seen := map[int64]bool{}
	keep := 0
	for _, d := range ds {
		if seen[d.Backup.ID] {
			t.Fatalf("backup %d decided twice", d.Backup.ID)
		}
		seen[d.Backup.ID] = true
		if d.Keep {
			keep++
			if len(d.Reasons) == 0 {
				t.Errorf("backup %d kept without a reason", d.Backup.ID)
			}
		}
	}
	// Per source: at most 3 + 7 + 4 + 12 kept, at least 7 (the days; the
	// backups are 21 hours apart).
	if keep < 3*7 || keep > 3*(3+7+4+12) {
		t.Errorf("kept %d of %d", keep, len(in))
	}
}

func TestPolicyString(t *testing.T) {
	if s := (Policy{Last: 2, Weekly: -1}).String(); s != "--keep-last 2 --keep-weekly -1" {
		t.Errorf("%q", s)
	}
	if !(Policy{}).Empty() || (Policy{Yearly: 1}).Empty() {
		t.Error("Empty")
	}
}
