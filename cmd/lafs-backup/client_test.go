package main

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTLSConfigTrustsOnlyListedCAs(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	good := filepath.Join(dir, "ca.pem")
	der := srv.Certificate().Raw
	if err := os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a certificate"), 0o600)

	for _, tc := range []struct {
		name    string
		files   []string
		wantErr string
		dialOK  bool
	}{
		{"listed CA", []string{good}, "", true},
		{"missing file", []string{filepath.Join(dir, "nope.pem")}, "no such file", false},
		{"not PEM", []string{junk}, "no PEM certificate", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tlsConfig(tc.files)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tr := &http.Transport{TLSClientConfig: cfg}
			resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
			if (err == nil) != tc.dialOK {
				t.Fatalf("dial err = %v, want ok=%v", err, tc.dialOK)
			}
			if resp != nil {
				resp.Body.Close()
			}
		})
	}
	// The system pool does not hold the test server's CA: an empty
	// ca_certs_files list must not trust it either.
	cfg, _ := tlsConfig(nil)
	if _, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}).Get(srv.URL); err == nil {
		t.Fatal("self-signed server trusted without its CA listed")
	}
}
