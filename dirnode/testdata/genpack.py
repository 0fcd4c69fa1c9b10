"""Writes packed.json: for each mkdir-immutable request body in
bodies.json (written from the Go fixtures by
`go test ./dirnode -run TestPackGolden -update`), the directory contents
Tahoe-LAFS 1.20.0 packs from it: web/common.py convert_children_json, then
dirnode.py pack_children(deep_immutable=True), the path of
POST /uri?t=mkdir-immutable. Run from this directory:

    $LAFS_TAHOE_VENV/bin/python genpack.py
"""
import json

from allmydata.nodemaker import NodeMaker
from allmydata.web.common import convert_children_json
from allmydata.dirnode import pack_children

nm = NodeMaker(None, None, None, None, None, {"k": 3, "happy": 7, "n": 10}, None, None)

with open("bodies.json") as f:
    bodies = json.load(f)
out = []
for body in bodies:
    children = convert_children_json(nm, body.encode("utf-8"))
    packed = pack_children(children, None, deep_immutable=True)
    out.append({"body": body, "packed": packed.hex()})
with open("packed.json", "w") as f:
    f.write("[\n" + ",\n".join(json.dumps(x) for x in out) + "\n]\n")
