package entrycache

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestKeyGolden pins the key function: a change here silently invalidates
// every operator's cache (a full re-upload), so it must be deliberate (bump
// keyVersion). testdata/key.golden is the contract of the hash.
func TestKeyGolden(t *testing.T) {
	cases := []struct {
		name  string
		parts [][]byte
	}{
		{"no parts", nil},
		{"one empty part", [][]byte{{}}},
		{"two empty parts", [][]byte{{}, {}}},
		{"abc", [][]byte{[]byte("abc")}},
		{"ab c", [][]byte{[]byte("ab"), []byte("c")}},
		{"a bc", [][]byte{[]byte("a"), []byte("bc")}},
		{"file-like", [][]byte{[]byte("/srv/backups/backup.*"), []byte("etc/passwd"), []byte("0:0:0100644"), []byte("1700000000.123456789"), []byte("1234"), []byte("enc:xz")}},
		{"invalid utf8 and nul", [][]byte{{0xff, 0x00, 0xfe}, []byte("\n")}},
		// The uploader's symlink key of its own golden test (uploader/keys_test.go).
		{"uploader symlink", [][]byte{[]byte("symlink"), []byte("/srv/backups/backup.*"), []byte("bin"), []byte("usr/bin")}},
	}
	var b strings.Builder
	for _, c := range cases {
		key := Key(c.parts...)
		fmt.Fprintf(&b, "%s %s\n", hex.EncodeToString(key[:]), c.name)
	}
	golden := "testdata/key.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("keys changed:\ngot:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestKeyPartsAreFramed(t *testing.T) {
	lists := [][][]byte{
		nil,
		{{}},
		{{}, {}},
		{[]byte("abc")},
		{[]byte("ab"), []byte("c")},
		{[]byte("a"), []byte("bc")},
		{[]byte("a"), []byte("b"), []byte("c")},
		{[]byte("abc"), {}},
		{{}, []byte("abc")},
	}
	seen := map[[KeySize]byte]int{}
	for i, parts := range lists {
		key := Key(parts...)
		if j, dup := seen[key]; dup {
			t.Errorf("lists %d and %d give the same key", j, i)
		}
		seen[key] = i
	}
}
