"""Writes the fixture node directories under nodes/: well-formed nodes and
one per error tahoenode.Read must report. Announcements are dumped with
yaml.safe_dump as a Tahoe 1.20 gateway writes its
private/introducer_default_cache.yaml; keys, hashes and swissnums are made
up. Run with the Tahoe virtualenv's python (it has PyYAML):

    $LAFS_TAHOE_VENV/bin/python tahoenode/testdata/make_fixtures.py
"""
import base64
import hashlib
import os
import shutil

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
NODES = os.path.join(HERE, "nodes")


def b32(data):
    return base64.b32encode(data).decode().lower().rstrip("=")


def fake(label, n):
    return hashlib.sha256(("%s-%d" % (label, n)).encode()).digest()


def key(i):
    return "v0-" + b32(fake("key", i))


def ann(i, nurls=True, furl=True, seed=True, **extra):
    tub, swiss, port = b32(fake("tub", i)[:20]), b32(fake("swiss", i)[:20]), 40000 + i
    spki = base64.urlsafe_b64encode(fake("spki", i)).decode().rstrip("=")
    a = {
        "app-versions": [],
        "my-version": "tahoe-lafs/1.20.0",
        "nickname": "storage%d" % i,
        "nonce": b32(fake("nonce", i)),
        "oldest-supported": "1.0.0",
        "seqnum": 1,
        "service-name": "storage",
        "version": 0,
    }
    if furl:
        a["anonymous-storage-FURL"] = "pb://%s@tcp:127.0.0.1:%d/%s" % (tub, port, swiss)
    if nurls is True:
        a["anonymous-storage-NURLs"] = ["pb://%s@127.0.0.1:%d/%s#v=1" % (spki, port, swiss)]
    elif nurls:
        a["anonymous-storage-NURLs"] = nurls
    if seed:
        a["permutation-seed-base32"] = b32(fake("seed", i))
    a.update(extra)
    return a


def cache(*anns):
    return yaml.safe_dump([{"ann": a, "key_s": key(i)} for i, a in anns])


CFG = """# a gateway's tahoe.cfg
[node]
nickname = gateway
web.port = tcp:3456:interface=127.0.0.1
tub.port = disabled
tub.location = disabled

[client]
shares.needed = 2
shares.happy = 3
shares.total = 4
%s
[storage]
enabled = false
"""

FOUR = cache(*[(i, ann(i)) for i in range(4)])


def node(name, cfg=CFG % "", files=None, convergence=True, secret=True, default_cache=FOUR):
    d = os.path.join(NODES, name)
    os.makedirs(os.path.join(d, "private"))
    out = {}
    if cfg is not None:
        out["tahoe.cfg"] = cfg
    if convergence:
        out["private/convergence"] = b32(fake("convergence", 0)) + "\n"
    if secret:
        out["private/secret"] = b32(fake("secret", 0)) + "\n"
    if default_cache:
        out["private/introducer_default_cache.yaml"] = default_cache
    out.update(files or {})
    for path, text in out.items():
        with open(os.path.join(d, path), "w") as f:
            f.write(text)


shutil.rmtree(NODES, ignore_errors=True)

# Well-formed.
node("ok", cfg=CFG % ("peers.preferred = %s, v0-unknown\nforce_foolscap = true\n" % key(2)))
node("defaults", cfg="[node]\nnickname = gateway\n",
     default_cache=cache(*[(i, ann(i, seed=(i != 3))) for i in range(7)]))
node("static", files={
    # servers.yaml overrides the announcement of server 1 and adds 9
    "private/servers.yaml": yaml.safe_dump({"storage": {
        key(1): {"ann": ann(1, nickname="static-one")},
        key(9): {"ann": ann(9)},
    }}),
})
node("two-introducers", files={
    # server 0 announced again, later (seqnum 2), through another introducer
    "private/introducer_other_cache.yaml": cache((0, ann(0, seqnum=2, nickname="renamed")), (5, ann(5))),
})
node("one-broken", default_cache=cache(*[(i, ann(i)) for i in range(4)],
                                      (4, ann(4, nurls=["pb://short@127.0.0.1:1/x#v=1"])), (5, ann(5, nurls=False))))
node("some-foolscap-only", default_cache=cache(*[(i, ann(i, nurls=(i != 2))) for i in range(5)]))

# One error each.
node("not-a-node", cfg=None)
node("no-convergence", convergence=False)
node("bad-secret", files={"private/secret": "not base32 at all!\n"})
node("empty-secret", files={"private/secret": "\n"})
node("bad-cfg-int", cfg=CFG.replace("shares.needed = 2", "shares.needed = two") % "")
node("bad-cfg-line", cfg=CFG % "this line has no equals sign\n")
node("bad-cfg-bool", cfg=CFG % "force_foolscap = maybe\n")
node("bad-encoding", cfg=CFG.replace("shares.needed = 2", "shares.needed = 5") % "")
node("bad-happy", cfg=CFG.replace("shares.happy = 3", "shares.happy = 9") % "")
node("grid-managers", cfg=CFG % "" + "\n[grid_managers]\nfred = pub-v0-abc\n")
node("bad-yaml", default_cache="- ann: {nickname: [unclosed\n")
node("cache-not-a-list", default_cache="ann: {}\nkey_s: v0-x\n")
node("no-key", default_cache=yaml.safe_dump([{"ann": ann(0)}]))
node("no-cache", default_cache=None)
node("empty-cache", default_cache="[]\n")
node("foolscap-only", default_cache=cache(*[(i, ann(i, nurls=False)) for i in range(4)]))
node("too-few", default_cache=cache(*[(i, ann(i, nurls=(i < 2))) for i in range(4)]))
node("bad-nurl", default_cache=cache((0, ann(0, nurls=["pb://short@127.0.0.1:1/x#v=1"])), (1, ann(1))))
node("no-furl", default_cache=cache((0, ann(0, furl=False)), (1, ann(1))))
node("bad-seed", default_cache=cache((0, ann(0, **{"permutation-seed-base32": "!!"})), (1, ann(1))))
node("bad-servers-yaml", files={"private/servers.yaml": "storage: [1, 2\n"})

# The ring order Tahoe's storage broker gives the servers of "ok" for a few
# storage indexes (get_servers_for_psi: preferred first, then
# permute_server_hash), computed with Tahoe's own hash function.
import json
from allmydata.util.hashutil import permute_server_hash
from allmydata.util import base32

preferred = {key(2)}  # as in ok's peers.preferred
servers = [(key(i), fake("seed", i)) for i in range(4)]
rings = {}
for n in range(3):
    si = fake("si", n)[:16]
    ring = sorted(servers, key=lambda s: (s[0] not in preferred, permute_server_hash(si, s[1])))
    rings[base32.b2a(si).decode()] = [s[0] for s in ring]
with open(os.path.join(HERE, "permuted.json"), "w") as f:
    json.dump(rings, f, indent=1, sort_keys=True)
    f.write("\n")
