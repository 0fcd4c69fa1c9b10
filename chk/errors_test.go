package chk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestBadParams(t *testing.T) {
	key := [16]byte{1}
	for _, c := range []struct {
		p    Params
		size int64
	}{
		{Params{Needed: 0, Total: 4}, 100},
		{Params{Needed: 5, Total: 4}, 100},
		{Params{Needed: 1, Total: 257}, 100},
		{Params{Needed: 2, Total: 4, MaxSegmentSize: -1}, 100},
		{Params{Needed: 2, Total: 4}, 0},
		{Params{Needed: 2, Total: 4}, -5},
	} {
		if _, err := NewEncoder(key, c.p, c.size); err == nil {
			t.Errorf("NewEncoder(%+v, %d) accepted", c.p, c.size)
		}
		if _, err := ConvergentKey(nil, c.p, c.size, bytes.NewReader(nil)); err == nil {
			t.Errorf("ConvergentKey(%+v, %d) accepted", c.p, c.size)
		}
	}
}

func TestShortContent(t *testing.T) {
	p := Params{Needed: 2, Total: 4, MaxSegmentSize: 64}
	if _, err := ConvergentKey(nil, p, 100, bytes.NewReader(make([]byte, 99))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ConvergentKey on short content: %v", err)
	}
	e, err := NewEncoder([16]byte{}, p, 100)
	if err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(make([]byte, 70))
	if _, err := e.EncodeSegment(r); err != nil {
		t.Fatal(err)
	}
	if _, err := e.EncodeSegment(r); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("EncodeSegment on short content: %v", err)
	}
}

func TestOutOfOrder(t *testing.T) {
	p := Params{Needed: 1, Total: 2}
	e, err := NewEncoder([16]byte{}, p, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Finish(); err == nil {
		t.Error("Finish before the segments succeeded")
	}
	r := bytes.NewReader(make([]byte, 20))
	if _, err := e.EncodeSegment(r); err != nil {
		t.Fatal(err)
	}
	if _, err := e.EncodeSegment(r); err == nil {
		t.Error("a second segment of a one-segment file was accepted")
	}
	if _, err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Finish(); err == nil {
		t.Error("Finish twice succeeded")
	}
}

func TestSegmentSize(t *testing.T) {
	for _, c := range []struct {
		p    Params
		size int64
		want int
	}{
		{Params{Needed: 3, Total: 10}, 56, 57},
		{Params{Needed: 3, Total: 10}, 10 << 20, 1<<20 + 2},
		{Params{Needed: 2, Total: 4}, 10 << 20, 1 << 20},
		{Params{Needed: 2, Total: 4, MaxSegmentSize: 128 << 10}, 1 << 20, 128 << 10},
		{Params{Needed: 3, Total: 7, MaxSegmentSize: 100}, 1000, 102},
	} {
		got, err := SegmentSize(c.p, c.size)
		if err != nil || got != c.want {
			t.Errorf("SegmentSize(%+v, %d) = %d, %v; want %d", c.p, c.size, got, err, c.want)
		}
	}
}

func TestCapRedacted(t *testing.T) {
	enc, err := Encode([]byte("secret"), Params{Needed: 2, Total: 4}, make([]byte, 100))
	if err != nil {
		t.Fatal(err)
	}
	uri := enc.Cap.URI()
	keyField := strings.Split(uri, ":")[2]
	for _, s := range []string{fmt.Sprint(enc.Cap), fmt.Sprintf("%v %+v %#v %s", enc.Cap, enc.Cap, enc.Cap, enc.Cap)} {
		if strings.Contains(s, keyField) {
			t.Errorf("formatted cap shows its key: %s", s)
		}
	}
	if !strings.HasPrefix(enc.Cap.DirURI(), "URI:DIR2-CHK:"+keyField+":") ||
		!strings.HasPrefix(enc.Cap.VerifyURI(), "URI:CHK-Verifier:") || strings.Contains(enc.Cap.VerifyURI(), keyField) {
		t.Errorf("DirURI/VerifyURI malformed")
	}
}

func TestLITURI(t *testing.T) {
	if got := LITURI([]byte("hello")); got != "URI:LIT:nbswy3dp" {
		t.Errorf("LITURI(hello) = %s", got)
	}
}

func TestParseURI(t *testing.T) {
	enc, err := Encode([]byte("secret"), Params{Needed: 3, Total: 7}, bytes.Repeat([]byte("x"), 100))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{enc.Cap.URI(), enc.Cap.DirURI()} {
		c, dir, err := ParseURI(s)
		if err != nil || c != enc.Cap || dir != strings.HasPrefix(s, "URI:DIR2-") {
			t.Errorf("ParseURI(%s): %+v dir=%v %v", s[:12], c, dir, err)
		}
	}
	good := enc.Cap.URI()
	f := strings.Split(good, ":")
	for _, bad := range []string{
		"", "URI:LIT:abc", "URI:DIR2:" + strings.Join(f[2:], ":"), good + ":1",
		strings.Join(append(f[:2:2], "x"+f[2], f[3], f[4], f[5], f[6]), ":"),
		strings.Join(append(f[:4:4], "0", f[5], f[6]), ":"),
		strings.Join(append(f[:6:6], "-1"), ":"),
	} {
		_, _, err := ParseURI(bad)
		if !errors.Is(err, ErrBadCap) {
			t.Errorf("ParseURI accepted a bad cap: %v", err)
		} else if len(f[2]) > 10 && strings.Contains(err.Error(), f[2]) {
			t.Errorf("error quotes the key: %v", err)
		}
	}
}
