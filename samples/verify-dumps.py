#!/usr/bin/env python3
"""Cross-check each case's heap.dump.xz against its facts.json.

A minimal reader of the Go heap dump format ("go1.7 heap dump", Go 1.19 to
1.23; record layouts in runtime/heapdump.go), run by gen.sh. It checks that
every address facts.json names lands in a dumped object of the stated size,
at the stated offset for interior addresses. Exit status 1 on a mismatch.

    samples/verify-dumps.py samples/go1.23/leaky [CASE...]
"""
import bisect
import json
import lzma
import sys


def read_dump(path):
    d = lzma.open(path).read()
    if not d.startswith(b'go1.7 heap dump\n'):
        raise SystemExit('%s: not a heap dump' % path)
    pos = 16

    def u():
        nonlocal pos
        v = s = 0
        while True:
            b = d[pos]
            pos += 1
            v |= (b & 0x7f) << s
            s += 7
            if b < 0x80:
                return v

    def st():
        nonlocal pos
        n = u()
        pos += n
        return d[pos - n:pos]

    def fields():
        while u() != 0:
            u()

    objs, fins, tags = {}, set(), {}
    params = None
    while True:
        t = u()
        tags[t] = tags.get(t, 0) + 1
        if t == 0:
            break
        elif t == 1:                       # object: addr, contents, fields
            a = u(); objs[a] = len(st()); fields()
        elif t == 2: st(); u()             # other root
        elif t == 3: u(); u(); st(); u()   # type
        elif t == 4:                       # goroutine
            for _ in range(5): u()
            u(); u(); u(); st()
            for _ in range(4): u()
        elif t == 5:                       # stack frame
            u(); u(); u(); st(); u(); u(); u(); st(); fields()
        elif t == 6:                       # params
            params = (u(), u(), u(), u(), st().decode(), st().decode(), u())
        elif t in (7, 11):                 # (queued) finalizer
            fins.add(u())
            for _ in range(4): u()
        elif t == 8: u(); u()              # itab
        elif t == 9: u(); u(); u()         # OS thread
        elif t == 10:                      # memstats
            for _ in range(281): u()
        elif t in (12, 13): u(); st(); fields()   # data, bss
        elif t == 14:                      # defer
            for _ in range(7): u()
        elif t == 15:                      # panic
            for _ in range(6): u()
        elif t == 16:                      # memprof bucket
            u(); u()
            for _ in range(u()): st(); st(); u()
            u(); u()
        elif t == 17: u(); u()             # alloc sample
        else:
            raise SystemExit('%s: unknown record tag %d at offset %d' % (path, t, pos))
    return objs, fins, tags, params


def check_series(case, facts):
    """growth: three dumps; each planted group is in the dumps it should be."""
    bad = 0
    where = {'baseline_records': (1, 2, 3), 'step1_sessions': (2, 3), 'step1_session_buffers': (2, 3),
             'step2_sessions': (3,), 'step2_session_buffers': (3,), 'pending_buffers': (2,)}
    for n in (1, 2, 3):
        objs, fins, tags, params = read_dump('%s/heap%d.dump.xz' % (case, n))
        for key, dumps in where.items():
            site = facts[key]
            for a in site.get('addrs') or [site['first_addr']]:
                there = objs.get(int(a, 16)) == site['alloc_size']
                if there != (n in dumps):
                    bad += 1
                    print('%s: heap%d: %s %s %s' % (case, n, key, a, 'missing' if not there else 'still there'))
        print('%s: heap%d: %d objects, %s' % (case, n, len(objs), 'ok' if not bad else '%d MISMATCHES' % bad))
    return bad


def check(case):
    facts = json.load(open(case + '/facts.json'))
    if facts['program'] == 'growth':
        return check_series(case, facts)
    objs, fins, tags, params = read_dump(case + '/heap.dump.xz')
    addrs = sorted(objs)
    bad = 0

    def want(name, addr, size, offset=0):
        nonlocal bad
        a = int(addr, 16)
        i = bisect.bisect_right(addrs, a) - 1
        base = addrs[i] if i >= 0 and a < addrs[i] + objs[addrs[i]] else None
        if base is None or objs[base] != size or a - base != offset:
            bad += 1
            print('%s: %s %s: object %s size %s offset %s, want size %d offset %d' % (
                case, name, addr, base and hex(base), base and objs[base],
                base and a - base, size, offset))

    if params[5] != facts['go_version'] or params[6] != facts['ncpu']:
        bad += 1
        print('%s: dump params %s disagree with facts' % (case, params))
    if facts['program'] == 'leaky':
        hdr = 8 if facts['malloc_header'] else 0
        for key in ('pinned_buffers', 'ring_sessions', 'ring_buffers', 'registry_entries', 'bigs',
                    'leaky_worker_scratch', 'pool_chunks', 'finalized_resources', 'finalizer_cycles',
                    'pinned_string'):
            site = facts[key]
            off = hdr if key == 'bigs' else 0
            for a in site.get('addrs') or [site['first_addr']]:
                want(key, a, site['alloc_size'], off)
        want('pinned_first_kept_addr', facts['pinned_first_kept_addr'], 1 << 20, 4096)
        want('ring_element_addr', facts['ring_element_addr'], facts['ring_sessions']['alloc_size'])
        want('config_name_addr', facts['config_name_addr'], facts['pinned_string']['alloc_size'], 1000)
        for a in facts['finalized_resources']['addrs'] + facts['finalizer_cycles']['addrs']:
            if int(a, 16) not in fins:
                bad += 1
                print('%s: no finalizer record for %s' % (case, a))
    elif facts['program'] == 'healthy':
        want('first_key_addr', facts['first_key_addr'], facts['key_alloc_size'])
    else:
        # every per-site group: each address is an object of alloc_size
        # (the Go pointer 8 bytes into it for headered objects)
        for key, site in facts.items():
            if not isinstance(site, dict) or not {'count', 'alloc_size', 'size'} <= set(site):
                continue
            for a in site.get('addrs') or ([site['first_addr']] if site.get('first_addr') else []):
                hdr = site.get('header_bytes', 0)
                want(key, a, site['alloc_size'], hdr)
    # types: each planted object starts its heap object (8 bytes in with a
    # malloc header) and fits in it; global_vars agree with globals.
    for t in facts.get('types') or []:
        a = int(t['addr'], 16)
        i = bisect.bisect_right(addrs, a) - 1
        base = addrs[i] if i >= 0 and a < addrs[i] + objs[addrs[i]] else None
        if base is None or a - base not in (0, 8) or a - base + t['size'] > objs[base]:
            bad += 1
            print('%s: types %s %s: object %s size %s' % (case, t['type'], t['addr'], base and hex(base),
                                                       base and objs[base]))
    for name, g in (facts.get('global_vars') or {}).items():
        if facts['globals'].get(name) != g['addr']:
            bad += 1
            print('%s: global_vars %s disagrees with globals' % (case, name))
    print('%s: %d objects, %d finalizers, %d goroutines, %d memprof buckets, %s' % (
        case, len(objs), len(fins), tags.get(4, 0), tags.get(16, 0), 'ok' if not bad else '%d MISMATCHES' % bad))
    return bad


if __name__ == '__main__':
    sys.exit(1 if sum(check(c.rstrip('/')) for c in sys.argv[1:]) else 0)
