package lafstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// Store answers a request from what the server holds, as the gateway
// would. Faults use it to let a request through.
func (s *Server) Store(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := parse(r, body)
	switch req.Op {
	case "status":
		s.status(w)
	case "upload":
		io.WriteString(w, s.PutFile(body).Secret())
	case "mkdir-immutable":
		s.mkdirImmutable(w, body)
	case "mkdir":
		io.WriteString(w, s.MkdirMutable(nil).Secret())
	case "info":
		s.info(w, req)
	case "download":
		s.download(w, req)
	case "check":
		s.check(w, req)
	case "stream-deep-check", "stream-manifest":
		s.stream(w, req)
	case "link":
		s.link(w, req)
	case "unlink":
		s.unlink(w, req)
	default:
		http.Error(w, "lafstest: no such endpoint: "+req.Line, http.StatusBadRequest)
	}
}

func (s *Server) status(w http.ResponseWriter) {
	s.mu.Lock()
	var servers []map[string]string
	for _, sv := range s.servers {
		servers = append(servers, map[string]string{"nodeid": sv.NodeID, "nickname": sv.Nickname, "connection_status": sv.Status})
	}
	s.mu.Unlock()
	writeJSON(w, map[string]any{"introducers": map[string]any{"statuses": []string{"Connected to the introducer"}}, "servers": servers})
}

// mkdirImmutable reads {name: [TYPE, {"ro_uri": CAP, "metadata": {...}}]}.
func (s *Server) mkdirImmutable(w http.ResponseWriter, body []byte) {
	var raw map[string][2]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		http.Error(w, "lafstest: mkdir-immutable body: "+err.Error(), http.StatusBadRequest)
		return
	}
	children := map[string]lafsapi.Child{}
	for name, pair := range raw {
		var props struct {
			RO       string         `json:"ro_uri"`
			Metadata map[string]any `json:"metadata"`
		}
		dec := json.NewDecoder(bytes.NewReader(pair[1]))
		dec.UseNumber()
		if err := dec.Decode(&props); err != nil {
			http.Error(w, "lafstest: child "+name+": "+err.Error(), http.StatusBadRequest)
			return
		}
		c, err := lafsapi.ParseCap(props.RO)
		if err != nil || !c.IsImmutable() {
			http.Error(w, "lafstest: child "+name+" is not an immutable cap", http.StatusBadRequest)
			return
		}
		children[name] = lafsapi.Child{Cap: c, Metadata: props.Metadata}
	}
	io.WriteString(w, s.PutDir(children).Secret())
}

// info answers GET /uri/CAP[/NAME...]?t=json with [TYPE, PROPS].
func (s *Server) info(w http.ResponseWriter, req Request) {
	c, md, ok := s.resolve(w, req)
	if !ok || (c.IsDir() && s.refuse(w, c.Secret())) {
		return
	}
	node := s.node(c, md)
	if o := s.object(c.Secret()); o != nil && o.dir {
		kids := map[string]any{}
		s.mu.Lock()
		children := o.children
		s.mu.Unlock()
		for name, ch := range children {
			kids[name] = s.node(ch.Cap, ch.Metadata)
		}
		node[1].(map[string]any)["children"] = kids
	} else if c.IsDir() && c.IsLIT() {
		node[1].(map[string]any)["children"] = map[string]any{}
	}
	writeJSON(w, node)
}

// resolve follows req.Path from req.Cap, refusing at an unreadable
// directory it must list; md is the last edge's metadata.
func (s *Server) resolve(w http.ResponseWriter, req Request) (lafsapi.Cap, map[string]any, bool) {
	c, err := lafsapi.ParseCap(req.Cap)
	if err != nil {
		http.Error(w, "Invalid cap", http.StatusBadRequest)
		return c, nil, false
	}
	var md map[string]any
	for _, name := range req.Path {
		if s.refuse(w, c.Secret()) {
			return c, nil, false
		}
		o := s.object(c.Secret())
		var ch lafsapi.Child
		found := false
		if o != nil && o.dir {
			s.mu.Lock()
			ch, found = o.children[name]
			s.mu.Unlock()
		}
		if !found {
			http.Error(w, "No such child: "+name, http.StatusNotFound)
			return c, nil, false
		}
		c, md = ch.Cap, ch.Metadata
	}
	return c, md, true
}

// node renders one object as the gateway lists it; md is its edge
// metadata (nil at the top of a request).
func (s *Server) node(c lafsapi.Cap, md map[string]any) [2]any {
	props := map[string]any{}
	if md != nil {
		props["metadata"] = md
	}
	switch o := s.object(c.Secret()); {
	case c.IsZero():
		return [2]any{"unknown", props}
	case o != nil && o.mutable:
		props["rw_uri"], props["ro_uri"], props["mutable"] = o.rw.Secret(), o.ro.Secret(), true
	default:
		props["ro_uri"], props["mutable"] = c.Secret(), !c.IsImmutable()
	}
	if c.IsDir() {
		return [2]any{"dirnode", props}
	}
	props["size"], props["format"] = s.sizeOf(c), "CHK"
	if c.IsLIT() {
		props["format"] = "LIT"
	}
	return [2]any{"filenode", props}
}

func (s *Server) download(w http.ResponseWriter, req Request) {
	c, err := lafsapi.ParseCap(req.Cap)
	if err != nil {
		http.Error(w, "Invalid cap", http.StatusBadRequest)
		return
	}
	if data, ok := c.LITData(); ok {
		w.Write(data)
		return
	}
	o := s.object(c.Secret())
	if o == nil || o.dir {
		http.Error(w, "NotEnoughSharesError: no shares found", http.StatusGone)
		return
	}
	w.Header().Set("Content-Length", itoa(len(o.data)))
	w.Write(o.data)
}

// link answers PUT /uri/DIR/NAME?t=uri (the body is the child's cap).
func (s *Server) link(w http.ResponseWriter, req Request) {
	dir, err := lafsapi.ParseCap(req.Cap)
	child, cerr := lafsapi.ParseCap(string(req.Body))
	if err != nil || cerr != nil || len(req.Path) != 1 {
		http.Error(w, "lafstest: bad link request", http.StatusBadRequest)
		return
	}
	if o := s.object(dir.Secret()); o == nil || !o.mutable || o.rw.Secret() != dir.Secret() {
		http.Error(w, "lafstest: not a mutable directory write cap", http.StatusBadRequest)
		return
	}
	s.SetChild(dir, req.Path[0], lafsapi.Child{Cap: child, Metadata: map[string]any{}})
	io.WriteString(w, child.Secret())
}

// unlink answers DELETE /uri/DIR/NAME with the removed child's cap.
func (s *Server) unlink(w http.ResponseWriter, req Request) {
	o := s.object(req.Cap)
	if o == nil || !o.mutable || o.rw.Secret() != req.Cap || len(req.Path) != 1 {
		http.Error(w, "lafstest: not a mutable directory write cap", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	ch, ok := o.children[req.Path[0]]
	delete(o.children, req.Path[0])
	s.mu.Unlock()
	if !ok {
		http.Error(w, "No such child: "+req.Path[0], http.StatusNotFound)
		return
	}
	io.WriteString(w, ch.Cap.Secret())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("lafstest: encode: %v", err))
	}
}
