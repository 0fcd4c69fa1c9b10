package lafsapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Server is one storage server the gateway knows of.
type Server struct {
	NodeID    string // e.g. "v0-..." : the server's permanent identity
	Nickname  string
	Status    string // connection_status as the gateway words it
	Connected bool
}

// Status is the gateway's view of the grid (GET /?t=json).
type Status struct {
	Servers     []Server
	Introducers []string // introducer connection statuses
}

// ConnectedServers returns the node ids of the connected servers.
func (s Status) ConnectedServers() []string {
	var ids []string
	for _, sv := range s.Servers {
		if sv.Connected {
			ids = append(ids, sv.NodeID)
		}
	}
	return ids
}

// NodeStatus reads the gateway's status: which storage servers it knows
// and which are connected (used to recognise the grid a cache belongs to).
func (c *Client) NodeStatus(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, &call{
		op: "status", method: http.MethodGet, path: "", query: url.Values{"t": {"json"}},
		read: func(r io.Reader) error {
			data, err := io.ReadAll(io.LimitReader(r, 16<<20))
			if err != nil {
				return err
			}
			st, err = parseStatus(data)
			return err
		},
	})
	return st, err
}

func parseStatus(data []byte) (Status, error) {
	var raw struct {
		Introducers struct {
			Statuses []string `json:"statuses"`
		} `json:"introducers"`
		Servers []struct {
			NodeID   string `json:"nodeid"`
			Nickname string `json:"nickname"`
			Status   string `json:"connection_status"`
		} `json:"servers"`
	}
	if err := decodeJSON(data, &raw); err != nil {
		return Status{}, errors.New("gateway answered /?t=json with something other than its status")
	}
	st := Status{Introducers: raw.Introducers.Statuses}
	for _, s := range raw.Servers {
		st.Servers = append(st.Servers, Server{NodeID: s.NodeID, Nickname: s.Nickname, Status: s.Status,
			Connected: strings.HasPrefix(strings.ToLower(s.Status), "connected")})
	}
	return st, nil
}
