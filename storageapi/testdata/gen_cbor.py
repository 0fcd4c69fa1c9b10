"""Writes cbor.json: the CBOR messages of Tahoe's storage protocol as the
Tahoe 1.20 virtualenv's cbor2 encodes them (allmydata/util/cbor.py), the
golden vectors of storageapi's codec tests. Run with that virtualenv's
python:

    $LAFS_TAHOE_VENV/bin/python storageapi/testdata/gen_cbor.py
"""
import json
import os

from allmydata.util.cbor import dumps

V1 = b"http://allmydata.org/tahoe/protocols/storage/v1"

vectors = {
    # what HTTPServer._get_version sends
    "version": {
        V1: {
            b"maximum-immutable-share-size": 2**32,
            b"maximum-mutable-share-size": 69105 * 1000 * 1000 * 1000 * 1000,
            b"available-space": 1 << 20,
        },
        b"application-version": b"tahoe-lafs/1.20.0",
    },
    # HTTPServer.allocate_buckets
    "allocation": {"already-have": {0, 5}, "allocated": {1, 7, 200}},
    "allocation-empty": {"already-have": set(), "allocated": set()},
    # write_share_data, 200 and 201
    "required": {"required": [{"begin": 16, "end": 48}, {"begin": 70000, "end": 2**33}]},
    "required-none": {"required": []},
    # list_shares
    "shares": {0, 5},
    # StorageClientImmutables.create's request, which we must send alike
    "allocate-request": {"share-numbers": {7, 1}, "allocated-size": 12345},
    "allocate-request-big": {"share-numbers": set(range(30)), "allocated-size": 2**40 + 3},
}

out = {name: dumps(v).hex() for name, v in vectors.items()}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cbor.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
