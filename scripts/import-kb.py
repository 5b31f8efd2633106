#!/usr/bin/env python3
"""Copies the researched provider table (/work/kb/providers.rs by default) into
shared/src/knowledge/providers.rs: keeps the data and its sources, drops the
type definitions (they live in knowledge/mod.rs, documented)."""
import re, sys, pathlib

src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/work/kb/providers.rs").read_text()
dst = pathlib.Path(__file__).resolve().parent.parent / "shared/src/knowledge/providers.rs"
head, sep, rest = src.partition("/// What kind of network a provider sells.")
if not sep:
    sys.exit("unexpected shape: type definitions not found")
# Skip the type definitions: everything up to the first macro or the table.
m = re.search(r"^(// Shared source URLs|macro_rules!|pub const PROVIDERS)", rest, re.M)
if not m:
    sys.exit("unexpected shape: table not found")
body = rest[m.start():]
body = body.replace("pub const PROVIDERS: &[Provider] = &[",
                    "/// Every known provider; see the module docs for how entries are sourced.\n"
                    "pub const PROVIDERS: &[Provider] = &[", 1)
out = head.rstrip() + "\n//!\n//! Imported from the research notes by scripts/import-kb.py; the types are in\n//! `knowledge/mod.rs`.\n\nuse super::{Provider, ProviderKind, Relay};\n\n" + body
dst.write_text(out)
print(f"wrote {dst}")
