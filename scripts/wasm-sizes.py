#!/usr/bin/env python3
"""Which functions make the page's wasm big: code size per function, from
the wasm's own name section (build without --remove-name-section), grouped
by crate. A small twiggy for when twiggy is not installed.

usage: wasm-sizes.py FILE.wasm [TOP]
"""
import re, sys, collections

def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7f) << s; s += 7
        if x < 0x80:
            return r, i

def main():
    data = open(sys.argv[1], 'rb').read()
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    i = 8; imports = 0; bodies = []; names = {}; sections = collections.Counter()
    while i < len(data):
        sid = data[i]; i += 1
        size, i = leb(data, i); end = i + size
        sections[sid] += size
        if sid == 2:  # imports: count function imports
            n, j = leb(data, i)
            for _ in range(n):
                l, j = leb(data, j); j += l
                l, j = leb(data, j); j += l
                kind = data[j]; j += 1
                if kind == 0: _, j = leb(data, j); imports += 1
                elif kind == 1: j += 1; fl, j = leb(data, j); _, j = leb(data, j); j = leb(data, j)[1] if fl & 1 else j
                elif kind == 2: fl, j = leb(data, j); _, j = leb(data, j); j = leb(data, j)[1] if fl & 1 else j
                elif kind == 3: j += 2
                elif kind == 4: j += 1; _, j = leb(data, j)
        elif sid == 10:
            n, j = leb(data, i)
            for _ in range(n):
                l, j = leb(data, j); bodies.append(l); j += l
        elif sid == 0:
            l, j = leb(data, i); nm = data[j:j+l].decode(); j += l
            if nm == 'name':
                while j < end:
                    sub = data[j]; j += 1
                    l, j = leb(data, j); send = j + l
                    if sub == 1:
                        n, k = leb(data, j)
                        for _ in range(n):
                            idx, k = leb(data, k); l2, k = leb(data, k)
                            names[idx] = data[k:k+l2].decode('utf-8', 'replace'); k += l2
                    j = send
        i = end
    total = sum(bodies)
    by_crate = collections.Counter(); funcs = []
    for n, size in enumerate(bodies):
        name = names.get(n + imports, f'func[{n}]')
        funcs.append((size, name))
        m = re.search(r'(?:_ZN|<)?([a-z_][a-z0-9_]*)(?:::|\.\.)', name)
        by_crate[m.group(1) if m else '?'] += size
    print(f'code: {total} bytes in {len(bodies)} functions; data section: {sections[11]} bytes; file {len(data)}')
    print('\nby crate (first path segment):')
    for c, s in by_crate.most_common(top):
        print(f'{s:9} {100*s/total:5.1f}%  {c}')
    print('\nbiggest functions:')
    for s, n in sorted(funcs, reverse=True)[:top]:
        print(f'{s:9}  {n[:150]}')

main()
