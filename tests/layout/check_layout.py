#!/usr/bin/env python3
"""Holds the tree to the layout of README "Layout" (ctest: layout_test).

  check_layout.py REPO

Reads every #include of libsexp's sources and public headers and fails on
  - an edge between areas that the rules below do not allow (an area may
    include its own headers and those of the areas it builds on);
  - an include of a private header without its area ("machine.h" instead of
    "eval/machine.h"), which would hide the edge;
  - an area that is not a folder in all three places (libsexp/include/sexp/,
    libsexp/src/, tests/);
  - code or build files that read ../shared (the project must build, test
    and benchmark from its own files);
  - a chapter of spec/ that spec/README.md does not list.
Prints each problem as FILE:LINE: message and exits 1, else prints a summary.
"""
import os
import re
import sys

# What each area may include besides itself. Keep in step with README
# "Layout" (the same table, in words) and libsexp/CMakeLists.txt (targets).
ALLOWED = {
    "core": set(),
    "wire": {"core"},
    "eval": {"core"},
    "html": {"core", "eval"},
    "cache": {"core"},
    "web": {"core", "wire", "eval", "html", "cache"},
    "net": {"core", "wire"},
}

# The rooms of the areas still to come (README "Layout"), with their rules
# already written: a folder made for one is held to them at once.
PLANNED = {
    "sig": {"core"},                                   # signatures over canonical bytes
    "ap": {"core", "eval", "html"},                    # the ActivityStreams bridge
    "fed": {"core", "wire", "sig", "ap", "eval", "cache", "web", "net"},  # federation, outbox
    "image": {"core", "eval"},                         # content-addressed components, images
    "catalog": {"core", "eval"},                       # the vocabulary as data
    "host": {"core", "wire", "eval", "html", "cache", "web", "net", "sig", "ap", "fed",
             "image", "catalog"},                      # the native host
}

# Edges that exist today and break the rules, each with the reason it is
# still there. The list only shrinks: an edge not listed here fails.
KNOWN = {
}

# "../shared" written as path parts: os.path.join(HERE, "..", "..", "shared").
SHARED_PART = re.compile(r"""["']\.\.["']\s*,\s*["']shared["']""")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
AREA_HEADER = re.compile(r"^(?:sexp/)?([a-z_]+)/")


def sources(root):
    for base, _, files in os.walk(root):
        for name in files:
            if name.endswith((".h", ".cc", ".inc")):
                yield os.path.join(base, name)


def area_of(path, lib):
    rel = os.path.relpath(path, lib)
    parts = rel.split(os.sep)
    if parts[0] == "src":
        return parts[1] if len(parts) > 2 else None
    if parts[0] == "include" and len(parts) > 3:
        return parts[2]
    return None  # include/sexp/*.h: the umbrella and forwarding headers


def main():
    repo = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    lib = os.path.join(repo, "libsexp")
    for area, uses in PLANNED.items():
        if os.path.isdir(os.path.join(lib, "src", area)):
            ALLOWED[area] = uses
    problems = []
    edges = set()
    private = {}  # bare private header name -> its area
    for area in ALLOWED:
        src = os.path.join(lib, "src", area)
        if os.path.isdir(src):
            for name in os.listdir(src):
                if name.endswith(".h"):
                    private[name] = area

    # Areas are folders in all three places.
    for area in ALLOWED:
        for where in (os.path.join(lib, "include", "sexp", area), os.path.join(lib, "src", area),
                      os.path.join(repo, "tests", area)):
            if not os.path.isdir(where):
                problems.append("%s: area '%s' has no folder here" % (os.path.relpath(where, repo), area))
    for where in (os.path.join(lib, "src"), os.path.join(lib, "include", "sexp")):
        for name in sorted(os.listdir(where)):
            if os.path.isdir(os.path.join(where, name)) and name not in ALLOWED:
                problems.append("%s: folder is not an area of README \"Layout\""
                                % os.path.relpath(os.path.join(where, name), repo))
    for name in sorted(os.listdir(os.path.join(lib, "src"))):
        if os.path.isfile(os.path.join(lib, "src", name)):
            problems.append("libsexp/src/%s: a source outside every area folder" % name)

    for path in sorted(sources(lib)):
        area = area_of(path, lib)
        rel = os.path.relpath(path, repo)
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = m.group(1)
                if "/" not in target and target in private and not target.startswith("sexp"):
                    problems.append("%s:%d: include \"%s/%s\" (by its area), not \"%s\""
                                    % (rel, lineno, private[target], target, target))
                    continue
                hm = AREA_HEADER.match(target)
                if not hm or area is None:
                    continue
                other = hm.group(1)
                if other not in ALLOWED or other == area:
                    continue
                edges.add((area, other))
                if other in ALLOWED[area]:
                    continue
                if (area, other) in KNOWN:
                    continue
                problems.append("%s:%d: %s may not include %s (\"%s\"); allowed: %s"
                                % (rel, lineno, area, other, target,
                                   ", ".join(sorted(ALLOWED[area])) or "nothing"))
    for edge, why in KNOWN.items():
        if edge not in edges:
            problems.append("tests/layout/check_layout.py: the known edge %s -> %s is gone; "
                            "remove it from KNOWN (%s)" % (edge[0], edge[1], why))

    # Nothing reads ../shared.
    code = re.compile(r"(\.(cc|h|py|sh|cmake|mjs|js|go|in)|CMakeLists\.txt)$")
    for base, dirs, files in os.walk(repo):
        dirs[:] = [d for d in dirs if d not in (".git", "node_modules") and not d.startswith("build")]
        for name in files:
            path = os.path.join(base, name)
            if not code.search(name) or path == os.path.abspath(__file__):
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                for lineno, line in enumerate(f, 1):
                    if "../shared" in line or SHARED_PART.search(line):
                        problems.append("%s:%d: reads ../shared" % (os.path.relpath(path, repo), lineno))

    # spec/README.md lists every chapter.
    spec = os.path.join(repo, "spec")
    with open(os.path.join(spec, "README.md"), encoding="utf-8") as f:
        index = f.read()
    for name in sorted(os.listdir(spec)):
        if name.endswith(".md") and name != "README.md" and "(%s)" % name not in index:
            problems.append("spec/README.md: does not list the chapter %s" % name)

    for p in problems:
        print(p)
    if problems:
        print("layout: %d problem(s)" % len(problems))
        return 1
    print("layout: %d areas, %d cross-area edges, all allowed (%d known exception(s))"
          % (len(ALLOWED), len(edges), len(KNOWN)))
    for a, b in sorted(edges):
        print("  %s -> %s%s" % (a, b, "  (known: %s)" % KNOWN[(a, b)] if (a, b) in KNOWN else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
