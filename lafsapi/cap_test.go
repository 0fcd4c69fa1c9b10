package lafsapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

const (
	k26 = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	k52 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestParseCap(t *testing.T) {
	for _, tc := range []struct {
		in           string
		ok, dir, imm bool
		kind         string
	}{
		{"URI:CHK:" + k26 + ":" + k52 + ":2:4:1000", true, false, true, "CHK"},
		{" URI:CHK:" + k26 + ":" + k52 + ":2:4:1000\n", true, false, true, "CHK"},
		{"URI:LIT:", true, false, true, "LIT"},
		{"URI:LIT:nbswy3dp", true, false, true, "LIT"},
		{"URI:DIR2-CHK:" + k26 + ":" + k52 + ":2:4:1000", true, true, true, "DIR2-CHK"},
		{"URI:DIR2-LIT:", true, true, true, "DIR2-LIT"},
		{"URI:DIR2:" + k26 + ":" + k52, true, true, false, "DIR2"},
		{"URI:DIR2-RO:" + k26 + ":" + k52, true, true, false, "DIR2-RO"},
		{"URI:DIR2-MDMF:" + k26 + ":" + k52, true, true, false, "DIR2-MDMF"},
		{"URI:MDMF:" + k26 + ":" + k52 + ":3:131073", true, false, false, "MDMF"},
		{"URI:SSK:" + k26 + ":" + k52, true, false, false, "SSK"},
		{"URI:CHK:" + k26 + ":" + k52 + ":2:4", false, false, false, ""},
		{"URI:CHK:" + k26 + ":" + strings.ToUpper(k52) + ":2:4:1000", false, false, false, ""},
		{"URI:CHK:" + k26 + "x:" + k52 + ":2:4:1000", false, false, false, ""},
		{"URI:LIT:abc", false, false, false, ""}, // 3 base32 chars encode no whole byte count
		{"URI:LIT:ab1", false, false, false, ""},
		{"imm.URI:CHK:" + k26 + ":" + k52 + ":2:4:1000", false, false, false, ""},
		{"URI:XYZ:abc", false, false, false, ""},
		{"", false, false, false, ""},
	} {
		c, err := ParseCap(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseCap(%.30q): err=%v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if err != nil {
			if strings.Contains(err.Error(), k26) || strings.Contains(err.Error(), "nbswy") {
				t.Errorf("error leaks the cap: %v", err)
			}
			continue
		}
		if c.IsDir() != tc.dir || c.IsImmutable() != tc.imm || c.Kind() != tc.kind {
			t.Errorf("%s: dir=%v imm=%v kind=%q", tc.kind, c.IsDir(), c.IsImmutable(), c.Kind())
		}
		if c.Secret() != strings.TrimSpace(tc.in) {
			t.Errorf("%s: Secret changed the cap", tc.kind)
		}
	}
}

func TestCapNeverPrints(t *testing.T) {
	c, err := ParseCap("URI:CHK:" + k26 + ":" + k52 + ":2:4:1000")
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "cap", c)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "cap", c)
	js, _ := json.Marshal(struct{ C Cap }{c})
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), logs.String(), string(js)} {
		if strings.Contains(s, k26) {
			t.Fatalf("cap printed: %s", s)
		}
	}
	if c.String() != "URI:CHK:…(redacted)" {
		t.Fatalf("String() = %q", c.String())
	}
}

func TestLITCap(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "URI:LIT:"},
		{"a", "URI:LIT:me"},
		{"hello", "URI:LIT:nbswy3dp"},
		{"hello!", "URI:LIT:nbswy3dpee"},
	} {
		c := LITCap([]byte(tc.in))
		if c.Secret() != tc.want {
			t.Errorf("LITCap(%q) = %q, want %q", tc.in, c.Secret(), tc.want)
		}
		if _, err := ParseCap(c.Secret()); err != nil {
			t.Errorf("LITCap(%q) does not parse: %v", tc.in, err)
		}
		if d, ok := c.LITData(); !ok || string(d) != tc.in {
			t.Errorf("LITData round trip of %q: %q", tc.in, d)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("LITCap of 56 bytes did not panic")
		}
	}()
	LITCap(make([]byte, 56))
}

func TestBodyMessage(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"No such child: foo\n", "No such child: foo"},
		{"line1\nline2\nline3\nline4\n", "line1 / line2 / line3"},
		{"Traceback (most recent call last):\n  File \"a.py\", line 1\nallmydata.Foo: bad URI:CHK:" + k26 + ":x\n",
			"allmydata.Foo: bad URI:…(redacted)"},
		{"<html><head><style>x{}</style></head><body><div>Oops &lt;x&gt;</div></body></html>", "Oops <x>"},
	} {
		if got := bodyMessage(tc.in); got != tc.want {
			t.Errorf("bodyMessage(%.30q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	o := Options{Delays: nil}
	o.setDefaults()
	for n := 1; n <= 10; n++ {
		d := o.retryDelay(n)
		full := min(o.BaseDelay<<(n-1), o.MaxDelay)
		if d < full/2 || d > full {
			t.Errorf("retry %d: %v outside [%v, %v]", n, d, full/2, full)
		}
	}
	l := Options{Delays: []time.Duration{10, 60}}
	if l.retryDelay(1) != 10 || l.retryDelay(2) != 60 || l.retryDelay(5) != 60 {
		t.Error("delay list: the last must repeat")
	}
}

func TestGatewayRoot(t *testing.T) {
	for in, want := range map[string]string{
		"http://localhost:3456/uri":    "http://localhost:3456/",
		"http://localhost:3456/uri/":   "http://localhost:3456/",
		"http://localhost:3456":        "http://localhost:3456/",
		"https://gw.example/tahoe/":    "https://gw.example/tahoe/",
		"https://gw.example/tahoe/uri": "https://gw.example/tahoe/",
	} {
		u, err := gatewayRoot(in)
		if err != nil || u.String() != want {
			t.Errorf("gatewayRoot(%q) = %v, %v; want %q", in, u, err, want)
		}
	}
	if _, err := gatewayRoot("localhost:3456"); err == nil {
		t.Error("a URL without scheme was accepted")
	}
}
