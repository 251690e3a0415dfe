#!/usr/bin/env python3
"""Seeds for fuzz_wire (tests/fuzz/corpus/wire/): cases as core/cli/wire.c
writes them for check's workers.  python3 tests/fuzz/wire_seeds.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "wire")


def s(z):
    if z is None:
        return struct.pack("<I", 0xffffffff)
    b = z.encode()
    return struct.pack("<I", len(b)) + b


def case(name, flags, errors, diags, inputs):
    """diags: (level, file, offset, line, msg); inputs: dicts; returns the bytes."""
    h = s(name) + struct.pack("<IQII", flags, 0, errors, len(diags))
    for lv, f, off, line, msg in diags:
        h += struct.pack("<I", lv) + s(f) + struct.pack("<QQ", off, line) + s(msg)
    h += struct.pack("<I", len(inputs))
    data = b""
    for i in inputs:
        b = i.get("bytes")
        h += (s(i["name"]) + struct.pack("<QQ", i.get("mtime", 0), len(b or b""))
              + s(i.get("path")) + s(i.get("error")) + struct.pack("<I", i.get("found", 1))
              + s(i.get("note")) + struct.pack("<II", i.get("note_level", 0), i.get("skip", 0))
              + struct.pack("<IQ", b is not None, len(b or b"")))
        data += b or b""
    return struct.pack("<Q", len(h)) + h + data


log = open(os.path.join(os.path.dirname(OUT), "gctrace", "go1.21.log"), "rb").read()[:300]
three = case("case-a", 20, 1, [(1, "case-a/x", 2**64 - 1, 3, "a note")],
             [{"name": "case-a/gctrace.log", "path": "/tmp/case-a/gctrace.log", "mtime": 1700000000,
               "bytes": log},
              {"name": "case-a/unreadable", "error": "cannot read it"},
              {"name": "case-a/empty", "note": "empty", "note_level": 1, "bytes": b""}])
dump = case("two", 16, 0, [], [{"name": "two/heap.dump", "bytes": b"go1.7 heap dump\n"}])
os.makedirs(OUT, exist_ok=True)
for name, b in (("case-three-inputs", three), ("heapdump-then-case", dump + three),
                ("cut-short", three[:-100])):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b)
