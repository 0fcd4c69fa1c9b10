"""Writes vectors.json: Tahoe-LAFS's own hash functions on fixed inputs.

Run with the Tahoe virtualenv's python from this directory:

    $LAFS_TAHOE_VENV/bin/python gen.py > vectors.json

The Go tests (package tahoehash) recompute every output.
"""
import json
import random

from allmydata.util import hashutil, base32
from allmydata.util.netstring import netstring
from allmydata import hashtree

rng = random.Random(13)
vectors = []


def add(fn, out, *inputs, ints=()):
    vectors.append({
        "fn": fn,
        "in": [x.hex() for x in inputs],
        "int": list(ints),
        "out": out.hex() if isinstance(out, bytes) else out,
    })


def data(n):
    return rng.randbytes(n)


for n in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 20, 32, 33, 100):
    d = data(n)
    add("netstring", netstring(d), d)
    add("base32", base32.b2a(d).decode(), d)

for n in (0, 1, 31, 32, 64, 65, 1000):
    d = data(n)
    tag = data(n % 40)
    add("tagged_hash", hashutil.tagged_hash(tag, d), tag, d)
    add("tagged_hash16", hashutil.tagged_hash(tag, d, 16), tag, d)
    add("block_hash", hashutil.block_hash(d), d)
    add("ueb_hash", hashutil.uri_extension_hash(d), d)
    add("crypttext_hash", hashutil.crypttext_hash(d), d)
    add("crypttext_segment_hash", hashutil.crypttext_segment_hash(d), d)
    add("plaintext_hash", hashutil.plaintext_hash(d), d)
    add("plaintext_segment_hash", hashutil.plaintext_segment_hash(d), d)
for n in (0, 1, 32, 100):
    tag, a, b = data(n % 40), data(n), data(n + 3)
    add("tagged_pair_hash", hashutil.tagged_pair_hash(tag, a, b), tag, a, b)

for _ in range(8):
    key = data(16)
    add("storage_index", hashutil.storage_index_hash(key), key)

for k, n, segsize, secret_len, size in [
        (1, 1, 1, 0, 1), (2, 4, 56, 32, 56), (3, 7, 1026, 32, 1025),
        (3, 10, 131073, 16, 1000), (2, 4, 1048576, 32, 5000),
        (256, 256, 1048576, 32, 10), (1, 256, 0, 5, 0)]:
    secret, d = data(secret_len), data(size)
    add("convergence", hashutil.convergence_hash(k, n, segsize, d, secret),
        secret, d, ints=(k, n, segsize))

for i in (0, 1, 2, 3, 7, 10, 255):
    add("empty_leaf_hash", hashtree.empty_leaf_hash(i), ints=(i,))
for _ in range(3):
    a, b = data(32), data(32)
    add("pair_hash", hashtree.pair_hash(a, b), a, b)

for nleaves in (1, 2, 3, 4, 5, 7, 8, 9, 10, 17):
    leaves = [data(32) for _ in range(nleaves)]
    t = hashtree.HashTree(leaves)
    add("hashtree", b"".join(t), *leaves)
    for leaf in range(nleaves):
        add("needed_for", ",".join(str(i) for i in t.needed_for(t.first_leaf_num + leaf)),
            *leaves, ints=(leaf,))

for _ in range(3):
    secret, si, peer = data(32), data(16), data(20)
    crs = hashutil.my_renewal_secret_hash(secret)
    ccs = hashutil.my_cancel_secret_hash(secret)
    add("client_renewal", crs, secret)
    add("client_cancel", ccs, secret)
    frs = hashutil.file_renewal_secret_hash(crs, si)
    fcs = hashutil.file_cancel_secret_hash(ccs, si)
    add("file_renewal", frs, crs, si)
    add("file_cancel", fcs, ccs, si)
    add("bucket_renewal", hashutil.bucket_renewal_secret_hash(frs, peer), frs, peer)
    add("bucket_cancel", hashutil.bucket_cancel_secret_hash(fcs, peer), fcs, peer)

print("[\n" + ",\n".join(json.dumps(v) for v in vectors) + "\n]")
