package storageapi

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// vectors are cbor2's encodings of the protocol's messages
// (testdata/gen_cbor.py).
func vectors(t *testing.T) map[string][]byte {
	t.Helper()
	data, err := os.ReadFile("testdata/cbor.json")
	if err != nil {
		t.Fatal(err)
	}
	var hexes map[string]string
	if err := json.Unmarshal(data, &hexes); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for k, v := range hexes {
		if out[k], err = hex.DecodeString(v); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestEncodeAsCBOR2Does(t *testing.T) {
	vs := vectors(t)
	for _, tc := range []struct {
		name   string
		shares []int
		size   uint64
	}{
		{"allocate-request", []int{7, 1, 7}, 12345},
		{"allocate-request-big", []int{29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13,
			12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, 1<<40 + 3},
	} {
		var e cborEncoder
		e.mapOf(2)
		e.text("share-numbers")
		e.set(tc.shares)
		e.text("allocated-size")
		e.uint(tc.size)
		if hex.EncodeToString(e.b) != hex.EncodeToString(vs[tc.name]) {
			t.Errorf("%s:\n got %x\nwant %x", tc.name, e.b, vs[tc.name])
		}
	}
}

func TestDecodeTheServersAnswers(t *testing.T) {
	vs := vectors(t)
	decode := func(name string) any {
		v, err := cborDecode(vs[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	v, err := parseVersion(decode("version"))
	want := Version{MaxImmutableShareSize: 1 << 32, MaxMutableShareSize: 69105 * 1e12,
		AvailableSpace: 1 << 20, Application: "tahoe-lafs/1.20.0"}
	if err != nil || v != want {
		t.Errorf("version: %+v, %v", v, err)
	}
	m := decode("allocation").(map[string]any)
	have, _ := shareSet(m["already-have"], "")
	alloc, _ := shareSet(m["allocated"], "")
	if fmt.Sprint(have, alloc) != "[0 5] [1 7 200]" {
		t.Errorf("allocation: %v %v", have, alloc)
	}
	if s, err := shareSet(decode("shares"), ""); err != nil || fmt.Sprint(s) != "[0 5]" {
		t.Errorf("shares: %v, %v", s, err)
	}
	req := decode("required").(map[string]any)["required"].([]any)
	r1 := req[1].(map[string]any)
	if len(req) != 2 || r1["begin"] != uint64(70000) || r1["end"] != uint64(1<<33) {
		t.Errorf("required: %v", req)
	}
	if e := decode("allocation-empty").(map[string]any); !reflect.DeepEqual(e["allocated"], cborSet{}) {
		t.Errorf("empty set: %#v", e["allocated"])
	}
}

func TestDecodeRefusesMalformedCBOR(t *testing.T) {
	deep := strings.Repeat("81", maxCBORDepth+2) + "00"
	for _, tc := range []struct{ name, hex, want string }{
		{"empty", "", "truncated"},
		{"truncated uint", "1a0001", "truncated"},
		{"truncated string", "6561", "truncated string"},
		{"huge array", "9bffffffffffffffff", "truncated array"},
		{"indefinite array", "9f00ff", "indefinite"},
		{"float", "f93c00", "float"},
		{"other tag", "c11a514b67b0", "unexpected tag 1"},
		{"set of a map", "d90102a0", "not an array"},
		{"trailing bytes", "0000", "1 bytes after"},
		{"map key", "a10000", "not a string"},
		{"too deep", deep, "nested too deep"},
	} {
		b, _ := hex.DecodeString(tc.hex)
		_, err := cborDecode(b)
		if !errors.Is(err, errCBOR) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestDecodeSimpleValues(t *testing.T) {
	for h, want := range map[string]any{"f4": false, "f5": true, "f6": nil, "20": int64(-1), "3903e7": int64(-1000),
		"4401020304": []byte{1, 2, 3, 4}, "6161": "a"} {
		b, _ := hex.DecodeString(h)
		v, err := cborDecode(b)
		if err != nil || !reflect.DeepEqual(v, want) {
			t.Errorf("%s: %#v, %v; want %#v", h, v, err, want)
		}
	}
}
