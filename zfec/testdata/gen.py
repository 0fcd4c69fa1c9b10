"""Golden vectors for package zfec, made by the Python zfec module.

Run with the Tahoe-LAFS virtualenv's interpreter from the repository root:

    $LAFS_TAHOE_VENV/bin/python zfec/testdata/gen.py > zfec/testdata/golden.json

The output depends only on zfec, not on Python's random module: primary
block i of a case is the first `size` bytes of the stream
SHA-256("zfec-golden K N SIZE I 0") || SHA-256("... 1") || ..., and the
decoding subsets are chosen with the same kind of hashes. For every case the
file records each check block (block k..n-1 of zfec.Encoder(k, n).encode)
as hex when it is at most 32 bytes long and as "sha256:" plus the hex digest
otherwise. For every code it records subsets of block numbers, in the order
given to zfec.Decoder(k, n).decode; this script checks that Python decodes
every case from every subset, and the Go test checks that Decode does too.
See docs/zfec.md.
"""

import hashlib
import itertools
import json
import math
import sys

import zfec

SMALL_SIZES = [0, 1, 9, 1025]
SIZES = [0, 1, 2, 7, 8, 9, 31, 32, 33, 1000, 1024, 1025, 4097]
# (k, n, sizes): Tahoe's 3-of-10 default and the test grid's 2-of-4 also get
# the block sizes of a full 128 KiB segment.
CODES = [
    (1, 1, SIZES),
    (1, 2, SIZES),
    (1, 3, SIZES),
    (2, 3, SIZES),
    (2, 4, SIZES + [65536]),
    (3, 7, SIZES),
    (3, 10, SIZES + [43691]),
    (4, 4, SIZES),
    (10, 20, SIZES),
    (25, 100, SMALL_SIZES),
    (1, 256, SMALL_SIZES),
    (128, 256, SMALL_SIZES),
    (255, 256, SMALL_SIZES),
    (256, 256, SMALL_SIZES),
]
ALL_SUBSETS_UP_TO = 120
SAMPLED_SUBSETS = 10


def digest(label):
    return hashlib.sha256(label.encode()).digest()


def block(k, n, size, i):
    out = bytearray()
    c = 0
    while len(out) < size:
        out += digest("zfec-golden %d %d %d %d %d" % (k, n, size, i, c))
        c += 1
    return bytes(out[:size])


def shuffled(items, label):
    items = list(items)
    for i in range(len(items) - 1, 0, -1):
        j = int.from_bytes(digest("%s %d" % (label, i)), "big") % (i + 1)
        items[i], items[j] = items[j], items[i]
    return items


def subsets(k, n):
    label = "zfec-golden subsets %d %d" % (k, n)
    if math.comb(n, k) <= ALL_SUBSETS_UP_TO:
        return [shuffled(s, "%s %d" % (label, t))
                for t, s in enumerate(itertools.combinations(range(n), k))]
    # All primary blocks, the last k blocks (as many check blocks as there
    # are), then random picks.
    out = [list(range(k)), shuffled(range(n - k, n), label + " last")]
    for t in range(SAMPLED_SUBSETS):
        out.append(shuffled(range(n), "%s %d" % (label, t))[:k])
    return out


def show(b):
    if len(b) <= 32:
        return b.hex()
    return "sha256:" + hashlib.sha256(b).hexdigest()


def case(k, n, size, subs):
    primary = [block(k, n, size, i) for i in range(k)]
    blocks = zfec.Encoder(k, n).encode(primary, list(range(n)))
    assert blocks[:k] == primary
    dec = zfec.Decoder(k, n)
    for s in subs:
        got = dec.decode([blocks[i] for i in s], s)
        assert list(got) == primary, (k, n, size, s)
    return {"size": size, "check": [show(b) for b in blocks[k:]]}


def main():
    w = sys.stdout.write
    w('{"zfec": %s,\n "codes": [\n' % json.dumps(zfec.__version__))
    for ci, (k, n, sizes) in enumerate(CODES):
        subs = subsets(k, n)
        w('  {"k": %d, "n": %d,\n   "decode": %s,\n   "cases": [\n' % (k, n, json.dumps(subs)))
        lines = [json.dumps(case(k, n, size, subs)) for size in sizes]
        w("    " + ",\n    ".join(lines) + "\n   ]}")
        w(",\n" if ci + 1 < len(CODES) else "\n")
    w(" ]}\n")


if __name__ == "__main__":
    main()
