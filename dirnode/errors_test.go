package dirnode

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/chk"
)

func TestPackRefuses(t *testing.T) {
	good := testCap(1, false)
	for name, children := range map[string]map[string]Child{
		"mutable cap":   {"a": {Cap: "URI:DIR2:aaaa:bbbb"}},
		"no cap":        {"a": {}},
		"tahoe key":     {"a": {Cap: good, Metadata: map[string]any{"tahoe": map[string]any{}}}},
		"NFC collision": {"caf\u00e9": {Cap: good}, "cafe\u0301": {Cap: good}},
		"empty name":    {"": {Cap: good}},
		"dot":           {"..": {Cap: good}},
		"slash":         {"a/b": {Cap: good}},
		"bad UTF-8":     {"a\xff": {Cap: good}},
		"NaN":           {"a": {Cap: good, Metadata: map[string]any{"x": nanValue()}}},
	} {
		_, err := Pack(children)
		if !errors.Is(err, ErrBadChild) {
			t.Errorf("%s: Pack gave %v, want ErrBadChild", name, err)
		}
		if err != nil && strings.Contains(err.Error(), good[8:30]) {
			t.Errorf("%s: error quotes the cap: %v", name, err)
		}
	}
}

func nanValue() float64 { var z float64; return z / z }

func TestEncodeLITAndCHK(t *testing.T) {
	p := chk.Params{Needed: 2, Total: 4}
	small, err := Encode([]byte("s"), p, map[string]Child{"a": {Cap: "URI:LIT:"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(small.URI(), "URI:DIR2-LIT:") || small.Encoded != nil {
		t.Errorf("a %d-byte directory is not DIR2-LIT", len(small.Packed))
	}
	big, err := Encode([]byte("s"), p, map[string]Child{"a": {Cap: testCap(1, false)}})
	if err != nil {
		t.Fatal(err)
	}
	if big.Encoded == nil || big.URI() != big.Encoded.Cap.DirURI() {
		t.Errorf("a %d-byte directory is not DIR2-CHK of its encoding", len(big.Packed))
	}
	if s := fmt.Sprint(big); strings.Contains(s, "URI:") {
		t.Errorf("Dir prints its cap: %s", s)
	}
}

func TestUnpackRejects(t *testing.T) {
	for _, b := range []string{"x", "3:abc", "5:1:a,,", "99:1:a,", "16:1:a,0:,0:,2:{},,extra"} {
		if _, err := Unpack([]byte(b)); err == nil {
			t.Errorf("Unpack(%q) accepted", b)
		}
	}
}
