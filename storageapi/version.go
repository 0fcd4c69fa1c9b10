package storageapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
)

// Version is what GET /storage/v1/version reports.
type Version struct {
	MaxImmutableShareSize uint64
	MaxMutableShareSize   uint64
	AvailableSpace        uint64 // bytes the server is willing to allocate now
	Application           string // e.g. "tahoe-lafs/1.20.0"
}

const protocolV1 = "http://allmydata.org/tahoe/protocols/storage/v1"

// Version asks the server for its limits and software version.
func (c *Client) Version(ctx context.Context) (Version, error) {
	var v Version
	err := c.do(ctx, &request{
		op: "version", method: http.MethodGet, path: "/storage/v1/version",
		ok: []int{http.StatusOK},
		read: func(resp *http.Response) error {
			raw, err := readCBOR(resp, 64<<10)
			if err != nil {
				return err
			}
			v, err = parseVersion(raw)
			return err
		},
	})
	return v, err
}

func parseVersion(raw any) (Version, error) {
	var v Version
	top, ok := raw.(map[string]any)
	if !ok {
		return v, fmt.Errorf("%w: version is not a map", ErrBadResponse)
	}
	v1, ok := top[protocolV1].(map[string]any)
	if !ok {
		return v, fmt.Errorf("%w: version lacks %s", ErrBadResponse, protocolV1)
	}
	for key, dst := range map[string]*uint64{
		"maximum-immutable-share-size": &v.MaxImmutableShareSize,
		"maximum-mutable-share-size":   &v.MaxMutableShareSize,
		"available-space":              &v.AvailableSpace,
	} {
		n, ok := v1[key].(uint64)
		if !ok {
			return v, fmt.Errorf("%w: version lacks %s", ErrBadResponse, key)
		}
		*dst = n
	}
	switch app := top["application-version"].(type) {
	case []byte:
		v.Application = string(app)
	case string:
		v.Application = app
	}
	return v, nil
}

// shareSet reads a tag-258 set of share numbers, sorted.
func shareSet(v any, what string) ([]int, error) {
	set, ok := v.(cborSet)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a set", ErrBadResponse, what)
	}
	out := make([]int, 0, len(set))
	for _, x := range set {
		n, ok := x.(uint64)
		if !ok || n > 255 {
			return nil, fmt.Errorf("%w: %s holds a share number out of range", ErrBadResponse, what)
		}
		out = append(out, int(n))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
