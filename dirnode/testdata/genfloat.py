"""Writes floats.json: [IEEE-754 bits in hex, repr(float)] for many doubles,
to test dirnode's Python float formatter (json.dumps uses float.__repr__):

    $LAFS_TAHOE_VENV/bin/python genfloat.py > floats.json
"""
import json
import random
import struct

rng = random.Random(13)
values = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 100.0, 1e15, 1e16, 1e17,
          9999999999999998.0, 1234567890123456.0, 12345678901234567.0,
          0.0001, 0.00001, 0.00012345, 1e-05, 1e-4, 1e21, 1e22, 1e-7,
          1700000000.5, 1700000000.0, 1700000000.123456789, float(2**53), float(2**53 + 2),
          float(2**63), 5e-324, 2.2250738585072014e-308, 1.7976931348623157e+308,
          float("inf"), float("-inf"), 1/3, 2/3, 123.456, 1e100, 1.5e-300]
for exp in range(-30, 30):
    values += [10.0 ** exp, 1.5 * 10.0 ** exp, -(10.0 ** exp) * 7.25]
for _ in range(1000):  # random bit patterns (not NaN)
    bits = rng.getrandbits(64)
    f = struct.unpack(">d", struct.pack(">Q", bits))[0]
    if f == f:
        values.append(f)
for _ in range(1000):  # mtimes with nanoseconds, as the uploader makes them
    ns = rng.randrange(0, 4 * 10**18)
    values.append(float(ns // 10**9) + float(ns % 10**9) / 1e9)
for _ in range(500):
    values.append(rng.uniform(-1e6, 1e6))
    values.append(float(rng.randrange(-10**17, 10**17)))

out = [[struct.pack(">d", f).hex(), repr(f)] for f in values]
print("[\n" + ",\n".join(json.dumps(x) for x in out) + "\n]")
