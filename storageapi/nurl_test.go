package storageapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/storageapi"
)

const (
	hash  = "iK0tJpGbo9QaUToWqhhbF02R1Twret4pU5QOUdeR4Po"
	swiss = "te4zkbclcglqdvunlsj263cgxir6bg2u"
)

func TestParseNURL(t *testing.T) {
	for _, tc := range []struct{ in, host, err string }{
		{"pb://" + hash + "@127.0.0.1:38393/" + swiss + "#v=1", "127.0.0.1:38393", ""},
		{" pb://" + hash + "@storage.example:443/" + swiss + "#v=1\n", "storage.example:443", ""},
		{"pb://" + hash + "@[::1]:4000/" + swiss + "#v=1", "[::1]:4000", ""},
		{"pb://2ligo3nesuim3ulmmb4vkhuhcbb6dfi7@tcp:127.0.0.1:38393/" + swiss, "", "Foolscap fURL"},
		{"pb+tor://" + hash + "@abc.onion:80/" + swiss + "#v=1", "", "Tor"},
		{"https://" + hash + "@127.0.0.1:1/" + swiss + "#v=1", "", "want pb://"},
		{"pb://127.0.0.1:1/" + swiss + "#v=1", "", "no key hash"},
		{"pb://abc@127.0.0.1:1/" + swiss + "#v=1", "", "43 characters"},
		{"pb://" + hash + "@127.0.0.1/" + swiss + "#v=1", "", "host:port"},
		{"pb://" + hash + "@127.0.0.1:0/" + swiss + "#v=1", "", "bad port"},
		{"pb://" + hash + "@127.0.0.1:1/#v=1", "", "one path element"},
		{"pb://" + hash + "@127.0.0.1:1/" + swiss + "/x#v=1", "", "one path element"},
		{"pb://" + hash + "@127.0.0.1:1/" + swiss + "%zz#v=1", "", "unparseable"},
	} {
		n, err := storageapi.ParseNURL(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.err == "" && n.Host() != tc.host:
			t.Errorf("%q: host %q, want %q", tc.in, n.Host(), tc.host)
		case tc.err != "" && (!errors.Is(err, storageapi.ErrBadNURL) || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: %v, want an error saying %q", tc.in, err, tc.err)
		case err != nil && strings.Contains(err.Error(), swiss):
			t.Errorf("%q: the error %q holds the swissnum", tc.in, err)
		}
	}
}

// Every way of printing a NURL or a Secret is redacted.
func TestNURLsAndSecretsPrintRedacted(t *testing.T) {
	n := mustNURL(t, "pb://"+hash+"@127.0.0.1:38393/"+swiss+"#v=1")
	sec := storageapi.NewSecret([]byte(swiss))
	if got := string(n.Swissnum().Bytes()); got != swiss {
		t.Fatalf("Swissnum() = %q", got)
	}
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "nurl", n, "secret", sec)
	js, _ := json.Marshal(map[string]any{"n": n, "s": sec})
	for _, out := range []string{
		fmt.Sprint(n), fmt.Sprintf("%v %+v %#v %s %q %x %d", n, n, n, n, n, n, n),
		fmt.Sprint(sec), fmt.Sprintf("%v %+v %#v %s %q %x %X %d", sec, sec, sec, sec, sec, sec, sec, sec),
		logs.String(), string(js),
	} {
		if strings.Contains(out, swiss) || strings.Contains(out, fmt.Sprintf("%x", swiss)) ||
			strings.Contains(out, fmt.Sprint([]byte(swiss))) {
			t.Errorf("leaks: %s", out)
		}
	}
	if n.String() != "pb://"+hash+"@127.0.0.1:38393/…#v=1" {
		t.Errorf("String() = %q", n.String())
	}
	if !sec.Equal(storageapi.NewSecret([]byte(swiss))) || sec.Equal(storageapi.Secret{}) {
		t.Error("Equal")
	}
}

func TestStorageIndexText(t *testing.T) {
	si, err := storageapi.ParseStorageIndex("4vozh77tsrw7mdhnj7qvp5ky74")
	if err != nil || si.String() != "4vozh77tsrw7mdhnj7qvp5ky74" {
		t.Fatalf("%v %v", si, err)
	}
	for _, bad := range []string{"", "4vozh77tsrw7mdhnj7qvp5ky7", "4VOZH77TSRW7MDHNJ7QVP5KY74", "4vozh77tsrw7mdhnj7qvp5ky75"} {
		if _, err := storageapi.ParseStorageIndex(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
