#!/usr/bin/env bash
# Fails when the modules of a crate under host/ import each other in a circle.
#
# For every crate root (src/lib.rs, src/main.rs, src/bin/*.rs) it walks the module tree (`mod x;`
# and inline `mod x { … }`) and lists the edges between modules that paths written as
# `crate::…`, `super::…` or `self::…` make, in `use` declarations and in code alike. A path is
# resolved to the module that defines the item, following `use` re-exports (`super::Tenant`
# where the parent has `pub use self::auth::Tenant` is an edge to `auth`). A module's references
# into its own submodules are not edges: a parent declares, re-exports and routes to its children,
# which is composition, not a dependency that could run back. Any other circle fails the check.
#
# Usage: scripts/check-imports.sh [-v] [crate dir …]   (default: every crate under host/;
# -v also prints every edge). Needs python3 only; comments and string literals are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import glob
import os
import re
import sys

args = sys.argv[1:]
verbose = "-v" in args
crates = [a.rstrip("/") for a in args if a != "-v"] or sorted(
    os.path.dirname(p) for p in glob.glob("host/*/Cargo.toml")
)


def strip(src):
    """The source with comments removed and string and char literals emptied."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if src.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif src.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            out.append(" ")
        elif (m := re.match(r'b?r(#*)"', src[i:])) and not (i and (src[i - 1].isalnum() or src[i - 1] == "_")):
            end = '"' + m.group(1)
            j = src.find(end, i + m.end())
            i = n if j < 0 else j + len(end)
            out.append('""')
        elif c == '"' or (c == "b" and src.startswith('b"', i) and not (i and src[i - 1].isalnum())):
            i += 2 if c == "b" else 1
            while i < n and src[i] != '"':
                i += 2 if src[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'":
            if src.startswith("\\", i + 1):
                j = src.find("'", i + 2)
                i = n if j < 0 else j + 1
                out.append("' '")
            elif i + 2 < n and src[i + 2] == "'":
                i += 3
                out.append("' '")
            else:  # a lifetime
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def use_tree(text):
    """`a::{b, c::d as e, *}` -> [(["a", "b"], "b"), (["a", "c", "d"], "e"), (["a", "*"], None)]."""
    toks = re.findall(r"::|\w+|[{},*]", text)
    pos = 0

    def parse(prefix):
        nonlocal pos
        out = []
        while pos < len(toks):
            tok = toks[pos]
            pos += 1
            if tok == "{":
                while pos < len(toks) and toks[pos] != "}":
                    out += parse(prefix)
                    if pos < len(toks) and toks[pos] == ",":
                        pos += 1
                pos += 1
                return out
            if tok == "::":
                continue
            if pos < len(toks) and toks[pos] == "::":
                prefix = prefix + [tok]
                continue
            alias = None
            if pos + 1 < len(toks) and toks[pos] == "as":
                alias, pos = toks[pos + 1], pos + 2
            if tok == "self":
                return [(prefix, alias or (prefix[-1] if prefix else None))]
            return [(prefix + [tok], None if tok == "*" else alias or tok)]
        return out

    return parse([])


class Crate:
    def __init__(self, root_file):
        self.modules = {}  # module path tuple -> file
        self.children = {}  # module path tuple -> set of child names
        self.uses = {}  # module -> {name: absolute path}
        self.refs = []  # (module, absolute path list)
        self.load(root_file, ())

    def child_file(self, file, path, name):
        base = os.path.dirname(file)
        if os.path.basename(file) not in ("lib.rs", "main.rs", "mod.rs") and not (
            os.path.dirname(file).endswith("/bin") and len(path) == 0
        ):
            base = os.path.join(base, os.path.splitext(os.path.basename(file))[0])
        for c in (os.path.join(base, name + ".rs"), os.path.join(base, name, "mod.rs")):
            if os.path.exists(c):
                return c
        return None

    def load(self, file, path):
        self.modules[path] = file
        self.children.setdefault(path, set())
        src = strip(open(file, encoding="utf-8").read())
        # Where each inline module's body starts and ends (braces matched).
        stack, inline = [], []  # stack: (module or None, body start)
        for m in re.finditer(r"\bmod\s+(\w+)\s*([;{])|[{}]", src):
            here = path + tuple(s for s, _ in stack if s)
            if m.group(1):
                name = m.group(1)
                self.children.setdefault(here, set()).add(name)
                if m.group(2) == ";":
                    # `mod x;` inside an inline `mod a { }` lives in a/x.rs beside the file's own.
                    nested = [s for s, _ in stack if s]
                    f = self.child_file(file, path, "/".join(nested + [name]))
                    if f:
                        self.load(f, here + (name,))
                else:
                    self.modules[here + (name,)] = file
                    self.children.setdefault(here + (name,), set())
                    stack.append((name, m.end()))
            elif m.group(0) == "{":
                stack.append((None, m.end()))
            elif stack:
                name, begin = stack.pop()
                if name:
                    inline.append((begin, m.start(), here))
        inline.sort(key=lambda r: r[0] - r[1])  # innermost (shortest) first

        def module_at(pos):
            return next((mod for a, b, mod in inline if a <= pos < b), path)

        used = []
        for m in re.finditer(r"\buse\s+([^;]*);", src):
            if src[max(0, m.start() - 2) : m.start()] == "r#":
                continue
            used.append((m.start(), m.end()))
            mod = module_at(m.start())
            for segs, alias in use_tree(m.group(1)):
                self.refs.append((mod, segs, True))
                if alias:
                    self.uses.setdefault(mod, {})[alias] = (mod, segs)
        for m in re.finditer(r"(?<![$\w])(crate|super|self)((?:\s*::\s*\w+)+)", src):
            if any(a <= m.start() < b for a, b in used):
                continue
            segs = [m.group(1)] + re.findall(r"\w+", m.group(2))
            self.refs.append((module_at(m.start()), segs, False))

    def absolute(self, mod, segs):
        """The module path a `use`/code path starts from, and the rest; None for other crates."""
        if not segs:
            return None
        head = segs[0]
        if head == "crate":
            return (), segs[1:]
        if head in ("self", "super"):
            base, rest = mod, list(segs)
            if rest[0] == "self":
                rest = rest[1:]
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
            return base, rest
        if head in self.children.get(mod, ()):  # a bare path to a child module
            return mod, segs
        return None

    def resolve(self, mod, segs, depth=0):
        """(module that defines the item, item name or None) for a path written in `mod`."""
        start = self.absolute(mod, segs)
        if start is None:
            return None
        base, rest = start
        while rest and rest[0] in self.children.get(base, ()):
            base, rest = base + (rest[0],), rest[1:]
        item = rest[0] if rest and rest[0] != "*" else None
        if item and depth < 16 and item in self.uses.get(base, {}):
            umod, usegs = self.uses[base][item]
            if (umod, usegs) != (mod, segs):
                found = self.resolve(umod, usegs, depth + 1)
                if found:
                    return found
        return base, item

    def edges(self):
        out = {}
        for mod, segs, _ in self.refs:
            if segs[0] not in ("crate", "self", "super") and not (
                segs[0] in self.children.get(mod, ())
            ):
                continue
            found = self.resolve(mod, segs)
            if not found:
                continue
            target, item = found
            if target[: len(mod)] == mod:  # itself or one of its own submodules
                continue
            out.setdefault((mod, target), set()).add(item or "*")
        return out


def name(mod):
    return "::".join(mod) or "crate"


def cycles(nodes, edges):
    """Strongly connected components with more than one module (Tarjan)."""
    graph = {n: sorted({b for (a, b) in edges if a == n}) for n in nodes}
    index, low, onstack, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        onstack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in onstack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                onstack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for n in sorted(nodes):
        if n not in index:
            visit(n)
    return out


failed = False
for crate in crates:
    roots = [f for f in (f"{crate}/src/lib.rs", f"{crate}/src/main.rs") if os.path.exists(f)]
    roots += sorted(glob.glob(f"{crate}/src/bin/*.rs"))
    for root in roots:
        c = Crate(root)
        edges = c.edges()
        comps = cycles(set(c.modules) | {b for (_, b) in edges}, edges)
        label = f"{crate} ({os.path.relpath(root, crate)})"
        print(f"{label}: {len(c.modules)} modules, {len(edges)} edges, "
              + (f"{len(comps)} circle(s)" if comps else "no circles"))
        if verbose:
            for (a, b), items in sorted(edges.items()):
                print(f"    {name(a)} -> {name(b)}: {', '.join(sorted(items))}")
        for comp in comps:
            failed = True
            members = set(comp)
            print(f"  CIRCLE among {', '.join(name(m) for m in comp)}:")
            for (a, b), items in sorted(edges.items()):
                if a in members and b in members:
                    print(f"    {name(a)} -> {name(b)}: {', '.join(sorted(items))}")
sys.exit(1 if failed else 0)
PY
