"""Writes golden.json: CHK shares and caps made by Tahoe-LAFS 1.20.0's own
upload code (upload.EncryptAnUploadable, encode.Encoder and
layout.WriteBucketProxy), run in-process against fake storage servers that
record every write.

Run with the Tahoe virtualenv's python from this directory:

    $LAFS_TAHOE_VENV/bin/python gen.py > golden.json

Each case's content is content(seed, size) below; the Go test
(package chk) makes the same bytes and compares the cap, the header, the
URI extension block and the SHA-256 of every share's data and trailer.
"""
import hashlib
import json
import struct
import sys

from twisted.internet import defer, task

from allmydata.util import cputhreadpool, hashutil, base32
from allmydata.immutable import upload, encode, layout
from allmydata import hashtree, uri

cputhreadpool._DISABLED = True  # run zfec inline

SECRET = bytes(range(100, 132))  # a 32-byte convergence secret
KiB, MiB = 1024, 1024 * 1024


def content(seed, size):
    """SHA-256 in counter mode: block i is sha256(seed || i), 8 bytes each."""
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(struct.pack(">QQ", seed, i)).digest()
        i += 1
    return bytes(out[:size])


class RecordingServer:
    """A remote bucket writer: keeps what WriteBucketProxy writes."""

    def __init__(self):
        self.data = bytearray()
        self.closed = False

    def callRemote(self, name, *args):
        if name == "write":
            offset, data = args
            assert offset == len(self.data), (offset, len(self.data))
            self.data += data
        elif name == "close":
            self.closed = True
        else:
            raise AssertionError(name)
        return defer.succeed(None)


class FakeServer:
    def get_name(self):
        return "fake"

    def get_serverid(self):
        return b"x" * 20


@defer.inlineCallbacks
def encode_case(k, n, size, max_segsize, seed, force_v2):
    data = content(seed, size)
    u = upload.Data(data, SECRET)
    u.set_default_encoding_parameters(
        {"k": k, "happy": 1, "n": n, "max_segment_size": max_segsize})
    eu = upload.EncryptAnUploadable(u)
    e = encode.Encoder()
    yield e.set_encrypted_uploadable(eu)
    # as Tahoe2ServerSelector.get_shareholders and ServerTracker do
    num_share_hashes = len(hashtree.IncompleteHashTree(n).needed_hashes(0, include_leaf=True))
    layout.FORCE_V2 = force_v2
    servers, landlords = {}, {}
    for shnum in range(n):
        servers[shnum] = RecordingServer()
        landlords[shnum] = layout.make_write_bucket_proxy(
            servers[shnum], FakeServer(), e.get_param("share_size"),
            e.get_param("block_size"), e.get_param("num_segments"),
            num_share_hashes, e.get_uri_extension_size())
    allocated = landlords[0].get_allocated_size()
    layout.FORCE_V2 = False
    e.set_shareholders(landlords, {shnum: {b"x" * 20} for shnum in range(n)})
    verifycap = yield e.start()
    key = yield u.get_encryption_key()
    cap = uri.CHKFileURI(key, verifycap.uri_extension_hash, k, n, size)
    header_len = 0x44 if isinstance(landlords[0], layout.WriteBucketProxy_v2) else 0x24
    data_end = header_len + e.get_param("share_size")
    shares = []
    for shnum in range(n):
        s = bytes(servers[shnum].data)
        assert servers[shnum].closed and len(s) == allocated
        shares.append({
            "data_sha256": hashlib.sha256(s[header_len:data_end]).hexdigest(),
            "trailer_sha256": hashlib.sha256(s[data_end:]).hexdigest(),
            "sha256": hashlib.sha256(s).hexdigest(),
        })
    ueb = uri.pack_extension(e.get_uri_extension_data())
    return ({
        "k": k, "n": n, "size": size, "max_segment_size": max_segsize,
        "seed": seed, "force_v2": force_v2,
        "cap": cap.to_string().decode(),
        "storage_index": base32.b2a(cap.get_storage_index()).decode(),
        "segment_size": e.get_param("segment_size"),
        "num_segments": e.get_param("num_segments"),
        "allocated_size": allocated,
        "header": bytes(servers[0].data[:header_len]).hex(),
        "ueb": ueb.hex(),
        "shares": shares,
    })


def share_hash_orders():
    """The order in which Encoder.send_all_share_hash_trees lists each
    share's hashes (a Python set's iteration order), for every n and share,
    as text lines "n shnum i,j,k"."""
    lines = []
    for n in range(1, 257):
        t = hashtree.HashTree([b"\0" * 32] * n)
        for shnum in range(n):
            order = list(t.needed_hashes(shnum, include_leaf=True))
            lines.append("%d %d %s" % (n, shnum, ",".join(map(str, order))))
    return lines


SIZES = [1, 55, 56, KiB, 128 * KiB - 1, 128 * KiB, 128 * KiB + 1, MiB + 7, 3 * MiB + 5]
ENCODINGS = [(2, 4), (3, 7), (3, 10), (1, 1)]


@defer.inlineCallbacks
def main(reactor):
    cases = []
    seed = 0
    for k, n in ENCODINGS:
        for size in SIZES:
            seed += 1
            cases.append((yield encode_case(k, n, size, 1 * MiB, seed, False)))
    # several segments with empty Merkle leaves, odd segment sizes, v2 layout
    for k, n, size, maxseg, v2 in [
            (2, 4, MiB + 7, 128 * KiB, False), (3, 10, MiB + 7, 128 * KiB, False),
            (3, 7, 5 * 128 * KiB, 128 * KiB, False), (3, 7, 1000, 100, False),
            (1, 3, 100, 7, False), (5, 13, 70000, 4097, False), (2, 4, 56, MiB, True),
            (3, 10, MiB + 7, 128 * KiB, True), (255, 256, 300, MiB, False),
            (1, 256, 2000, 999, False)]:
        seed += 1
        cases.append((yield encode_case(k, n, size, maxseg, seed, v2)))
    orders = share_hash_orders()
    json.dump({
        "secret": SECRET.hex(),
        "share_hash_orders_sha256": hashlib.sha256(("\n".join(orders) + "\n").encode()).hexdigest(),
        "share_hash_orders_n7": [l for l in orders if l.startswith("7 ")],
        "cases": cases,
    }, sys.stdout, indent=1)
    print()


task.react(main)
