package main

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// nullGateway answers the requests a first backup sends at once, without
// storing anything: PUT /uri and mkdir-immutable get a well-formed cap
// derived from the body, GET /?t=json one connected server. Against it a
// backup measures this tool's own side (walk, read, compress, hash, cache,
// HTTP), the rate it could reach with an infinitely fast grid.
type nullGateway struct {
	srv *http.Server
	url string
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func startNullGateway() (*nullGateway, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g := &nullGateway{url: "http://" + ln.Addr().String()}
	g.srv = &http.Server{Handler: http.HandlerFunc(g.serve)}
	go g.srv.Serve(ln)
	return g, nil
}

func (g *nullGateway) serve(w http.ResponseWriter, r *http.Request) {
	t := r.URL.Query().Get("t")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/" && t == "json":
		fmt.Fprint(w, `{"introducers": {"statuses": []}, "servers": [{"nodeid": "v0-nullgatewaynullgatewaynullgatewaynullgatewaynullgatewa", "nickname": "null", "connection_status": "Connected to 127.0.0.1 via tcp"}]}`)
	case r.Method == http.MethodPut && r.URL.Path == "/uri" && t == "":
		fmt.Fprint(w, fakeCap("URI:CHK:", r.Body))
	case r.Method == http.MethodPost && r.URL.Path == "/uri" && t == "mkdir-immutable":
		fmt.Fprint(w, fakeCap("URI:DIR2-CHK:", r.Body))
	default:
		http.Error(w, "the null gateway does not do "+r.Method+" "+r.URL.Path+"?t="+t, http.StatusNotImplemented)
	}
}

// fakeCap hashes body into a cap of the CHK shape: 128-bit key, 256-bit
// hash, 2-of-4, size.
func fakeCap(prefix string, body io.Reader) string {
	h := sha256.New()
	n, _ := io.Copy(h, body)
	sum := h.Sum(nil)
	key := strings.ToLower(b32.EncodeToString(sum[:16]))
	ueb := strings.ToLower(b32.EncodeToString(sum))
	return fmt.Sprintf("%s%s:%s:2:4:%d", prefix, key, ueb, n)
}

func (g *nullGateway) close() { g.srv.Shutdown(context.Background()) }

// serveNullGateway runs the null gateway alone until SIGINT or SIGTERM.
func serveNullGateway() error {
	g, err := startNullGateway()
	if err != nil {
		return err
	}
	defer g.close()
	fmt.Println(g.url)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
