package entrycache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestGridIdentity(t *testing.T) {
	db, path := tempDB(t)
	ctx := context.Background()
	nodes := func() string {
		ss, err := db.GridServers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range ss {
			ids = append(ids, s.NodeID)
		}
		return strings.Join(ids, ",")
	}
	if _, err := db.CheckGrid(ctx, nil, false); !errors.Is(err, ErrNoServers) {
		t.Errorf("no servers: %v, want ErrNoServers", err)
	}
	gc, err := db.CheckGrid(ctx, []string{"v0-b", "v0-a", "v0-a"}, false)
	if err != nil || !gc.First || gc.Known != 0 || fmt.Sprint(gc.Added) != "[v0-b v0-a]" {
		t.Fatalf("first use: %+v, %v", gc, err)
	}
	if got := nodes(); got != "v0-a,v0-b" {
		t.Errorf("recorded %s", got)
	}
	// A grid that grew: one known, one new.
	gc, err = db.CheckGrid(ctx, []string{"v0-a", "v0-c"}, false)
	if err != nil || gc.First || gc.Known != 1 || fmt.Sprint(gc.Added) != "[v0-c]" {
		t.Fatalf("grown grid: %+v, %v", gc, err)
	}
	// Another grid: refused, nothing recorded.
	_, err = db.CheckGrid(ctx, []string{"v0-x", "v0-y"}, false)
	if !errors.Is(err, ErrOtherGrid) {
		t.Fatalf("other grid: %v, want ErrOtherGrid", err)
	}
	if got := nodes(); got != "v0-a,v0-b,v0-c" {
		t.Errorf("a refused grid was recorded: %s", got)
	}
	// Accepted explicitly: recorded, and accepted from then on.
	gc, err = db.CheckGrid(ctx, []string{"v0-x"}, true)
	if err != nil || fmt.Sprint(gc.Added) != "[v0-x]" {
		t.Fatalf("accepted grid: %+v, %v", gc, err)
	}
	db.Close()
	db = openTest(t, path)
	if _, err := db.CheckGrid(ctx, []string{"v0-x"}, false); err != nil {
		t.Errorf("after accepting: %v", err)
	}
	ss, _ := db.GridServers(ctx)
	for _, s := range ss {
		if s.FirstSeen.IsZero() || s.LastSeen.Before(s.FirstSeen) {
			t.Errorf("server times %+v", s)
		}
	}
}
