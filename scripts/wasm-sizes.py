#!/usr/bin/env python3
"""Which functions make the page's wasm big: code size per function, from
the wasm's own name section (build without --remove-name-section), grouped
by crate. A small twiggy for when twiggy is not installed.

usage: wasm-sizes.py FILE.wasm [TOP]

Names carry their generic parameters (which reader a `Deserialize` was
compiled for) only in the v0 mangling: build the page with
RUSTFLAGS="-C symbol-mangling-version=v0" (and a separate CARGO_TARGET_DIR,
to keep the normal build's cache) for the "by kind" table to be exact.
c++filt, when installed, demangles the names.
"""
import re, shutil, subprocess, sys, collections

# What a function is for, by the first pattern its demangled name matches.
KINDS = [
    ('reading JSON (Deserialize, visitors)', r'[Dd]eserializ|Visitor|MapAccess|SeqAccess|serde_json::de|tag_first'),
    ("serde's buffer (internally tagged, flatten, untagged)", r'Content'),
    ('writing JSON and postcard (Serialize)', r'[Ss]erializ|postcard'),
    ("the page's components (yew function components)", r'mailport_frontend.*FunctionProvider|FunctionProvider.*mailport_frontend'),
    ('yew itself', r'\byew'),
    ("the page's other code", r'mailport_frontend'),
    ('mailport-shared (classify, advice, share codec; drop and clone of its types)', r'mailport_shared'),
    ('formatting (core::fmt, Display)', r'core::fmt|fmt::Display|fmt::Debug|flt2dec|zmij|itoa'),
    ('deflate, inflate, base64, crc32', r'miniz_oxide|base64|crc32|adler'),
    ('js-sys, web-sys, wasm-bindgen glue', r'js_sys|web_sys|wasm_bindgen|__wbindgen'),
    ('core, alloc, std (iterators, sorting, collections, allocator)', r'core::|alloc::|std::|dlmalloc|hashbrown|indexmap|__rust|<str>|<\[|<char>'),
]

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
    raw = [names.get(n + imports, f'func[{n}]') for n in range(len(bodies))]
    if shutil.which('c++filt'):
        out = subprocess.run(['c++filt'], input='\n'.join(raw), capture_output=True, text=True).stdout
        demangled = out.split('\n')[:len(raw)]
        if len(demangled) == len(raw):
            raw = [re.sub(r'\[[0-9a-f]{16}\]', '', d) for d in demangled]
    by_crate = collections.Counter(); by_kind = collections.Counter(); funcs = []
    # wasm-bindgen runs the `describe` functions at build time and removes
    # them: they are not in the page's wasm.
    gone = sum(size for n, size in enumerate(bodies) if 'describe' in raw[n])
    total -= gone
    for n, size in enumerate(bodies):
        name = raw[n]
        if 'describe' in name:
            continue
        kind = next((k for k, pat in KINDS if re.search(pat, name)), 'other (closures, unnamed)')
        by_kind[kind] += size
        funcs.append((size, name))
        m = re.search(r'(?:_ZN|<)?([a-z_][a-z0-9_]*)(?:::|\.\.)', name)
        by_crate[m.group(1) if m else '?'] += size
    print(f'code: {total} bytes in {len(bodies)} functions (without {gone} bytes of wasm-bindgen describe functions); data section: {sections[11]} bytes; file {len(data)}')
    print('\nby crate (first path segment):')
    for c, s in by_crate.most_common(top):
        print(f'{s:9} {100*s/total:5.1f}%  {c}')
    print('\nby kind (see KINDS):')
    for k, sz in by_kind.most_common():
        print(f'{sz:9} {100*sz/total:5.1f}%  {k}')
    print('\nbiggest functions:')
    for s, n in sorted(funcs, reverse=True)[:top]:
        print(f'{s:9}  {n[:150]}')

main()
