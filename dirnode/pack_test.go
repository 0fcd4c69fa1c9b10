package dirnode

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
)

var update = flag.Bool("update", false, "rewrite testdata/bodies.json from the fixtures (then run testdata/genpack.py)")

// testCap makes a well-formed CHK cap (file or directory) from a seed.
func testCap(seed byte, dir bool) string {
	c := chk.Cap{Needed: 2, Total: 4, Size: 1000 + int64(seed)}
	for i := range c.Key {
		c.Key[i] = seed + byte(i)
	}
	c.UEBHash = tahoehash.TaggedHash([]byte("test"), []byte{seed})
	if dir {
		return c.DirURI()
	}
	return c.URI()
}

// awkwardMeta is metadata like the uploader's, with values that test the
// JSON round trip through Python.
func awkwardMeta(mtime float64) map[string]any {
	return map[string]any{
		"uid": "1000", "gid": "100", "mode": "100644",
		"mtime": mtime, "mtime_ns": "1700000000500000000",
		"xattrs": map[string]any{"user.comment": "aGVsbG8=", "user.\u00e9t\u00e9": "w6k=", "security.selinux": ""},
		"empty":  map[string]any{},
		"text":   "quote \" backslash \\ tab \t newline \n nul \x00 del \x7f sep \u2028 html <&> caf\u00e9 \U0001F600",
	}
}

// fixtures are the directories of the Pack golden test.
func fixtures() []map[string]Child {
	numbers := map[string]any{
		"a": 1700000000.5, "b": 1e16, "c": 0.0001, "d": 1e21, "e": 1e-7, "f": 1700000000.0,
		"g": 123456789.123456789, "h": -0.0, "i": 42, "j": int64(-7), "k": true, "l": nil,
		"m": []any{1.5, "x", map[string]any{"z": 1, "a": 2}}, "n": 9007199254740993.0, "o": 1.5e300,
	}
	return []map[string]Child{
		{},
		{"a": {Cap: "URI:LIT:mfrgg", Metadata: nil}},
		{"file": {Cap: testCap(1, false), Metadata: awkwardMeta(1700000000.5)}},
		{
			"caf\u00e9":          {Cap: testCap(2, false), Metadata: map[string]any{"mtime": 1e16}},
			"cafe\u0301x":        {Cap: testCap(3, false), Metadata: map[string]any{}},
			"\u65e5\u672c\u8a9e": {Cap: testCap(4, true), Metadata: awkwardMeta(0.0001)},
			"\U0001F600 smile":   {Cap: "URI:DIR2-LIT:", Metadata: map[string]any{"mtime": 1e-7}},
			"q\"uote\\slash":     {Cap: "URI:LIT:", Metadata: numbers},
			"tab\there\x01\x7f":  {Cap: testCap(5, false), Metadata: map[string]any{"line\u2028sep": "<&>"}},
			"Zebra":              {Cap: testCap(6, false), Metadata: map[string]any{"mtime": 1.0}},
			"zebra":              {Cap: testCap(7, false), Metadata: map[string]any{"mtime": 1e15}},
		},
		{"nfd only e\u0301": {Cap: testCap(8, true), Metadata: map[string]any{"mtime": 1234.5678}}},
	}
}

// body is the mkdir-immutable request body the web-API client sends for
// children (lafsapi mkdirBody: encoding/json, no HTML escaping).
func body(t *testing.T, children map[string]Child) string {
	type props struct {
		ROURI    string         `json:"ro_uri"`
		Metadata map[string]any `json:"metadata"`
	}
	out := map[string][2]any{}
	for name, c := range children {
		md := c.Metadata
		if md == nil {
			md = map[string]any{}
		}
		typ := "filenode"
		if c.IsDir() {
			typ = "dirnode"
		}
		out[name] = [2]any{typ, props{ROURI: c.Cap, Metadata: md}}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func TestPackGolden(t *testing.T) {
	fx := fixtures()
	bodies := make([]string, len(fx))
	for i, f := range fx {
		bodies[i] = body(t, f)
	}
	if *update {
		b, _ := json.MarshalIndent(bodies, "", " ")
		if err := os.WriteFile("testdata/bodies.json", append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote testdata/bodies.json; now run testdata/genpack.py")
		return
	}
	b, err := os.ReadFile("testdata/packed.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden []struct{ Body, Packed string }
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden) != len(fx) {
		t.Fatalf("%d golden directories for %d fixtures: run -update and testdata/genpack.py", len(golden), len(fx))
	}
	for i, f := range fx {
		if golden[i].Body != bodies[i] {
			t.Fatalf("fixture %d changed: run -update and testdata/genpack.py", i)
		}
		got, err := Pack(f)
		if err != nil {
			t.Fatalf("fixture %d: %v", i, err)
		}
		if want, _ := hex.DecodeString(golden[i].Packed); !bytes.Equal(got, want) {
			t.Errorf("fixture %d:\n got %q\nwant %q", i, got, want)
		}
	}
}

func TestUnpackRoundTrip(t *testing.T) {
	for i, f := range fixtures() {
		packed, err := Pack(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Unpack(packed)
		if err != nil {
			t.Fatalf("fixture %d: %v", i, err)
		}
		if len(got) != len(f) {
			t.Errorf("fixture %d: %d children back, want %d", i, len(got), len(f))
		}
		for name, c := range got {
			if c.Metadata == nil {
				t.Errorf("fixture %d: %q has no metadata", i, name)
			}
		}
		repacked, err := Pack(got)
		if err != nil || !bytes.Equal(repacked, packed) && !hasFloatInts(f) {
			t.Errorf("fixture %d: repacking the unpacked children differs (%v)", i, err)
		}
	}
}

// hasFloatInts: metadata whose numbers change type through Unpack (ints
// come back as float64) does not repack identically.
func hasFloatInts(f map[string]Child) bool {
	for _, c := range f {
		if _, ok := c.Metadata["i"]; ok {
			return true
		}
	}
	return false
}
