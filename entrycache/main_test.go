package entrycache

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
)

// TestMain lets the test binary act as a helper process for the
// cross-process tests: ENTRYCACHE_HELPER names the role.
func TestMain(m *testing.M) {
	switch mode := os.Getenv("ENTRYCACHE_HELPER"); mode {
	case "":
		os.Exit(m.Run())
	case "lock":
		flag.Parse()
		helperLock(flag.Arg(0))
	case "writer":
		flag.Parse()
		helperWriter(flag.Arg(0))
	default:
		fmt.Fprintf(os.Stderr, "unknown helper %q\n", mode)
		os.Exit(2)
	}
}

// helperLock takes the lock, says so, and holds it until killed.
func helperLock(cache string) {
	if _, err := Lock(context.Background(), cache, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("locked")
	select {}
}

// helperWriter runs a backup that never ends: it puts objects and commits
// every 50, printing the number committed after each commit, until killed.
func helperWriter(path string) {
	ctx := context.Background()
	fail := func(err error) { fmt.Fprintln(os.Stderr, err); os.Exit(1) }
	db, err := Open(ctx, path, Options{})
	if err != nil {
		fail(err)
	}
	r, _, err := db.BeginRun(ctx, "/src", false)
	if err != nil {
		fail(err)
	}
	b := db.NewBatch(r)
	for i := 0; ; i++ {
		key := fmt.Sprintf("obj-%d", i)
		if err := b.Put(Object{Key: Key([]byte(key)), Cap: "URI:CHK:" + key, Kind: KindFile}); err != nil {
			fail(err)
		}
		if (i+1)%50 == 0 {
			if err := b.Commit(ctx); err != nil {
				fail(err)
			}
			fmt.Println(i + 1)
		}
	}
}
